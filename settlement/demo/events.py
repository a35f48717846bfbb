"""Demo events: ELRP-like rules, two past events measured against baselines, one open offer.

Built through the same operations staff and owners use. The past events are created with
`now` the day before each (time is an argument), so the demo shows complete history
whatever today's date is; the open offer is for the next season weekday from today.
"""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from accounts import operations as account_operations
from accounts.models import Channel, Charger, Participant, Program, User
from settlement.events import operations
from settlement.events.models import DispatchEvent, Offer
from settlement.metering import operations as metering_operations
from settlement.programs import operations as program_operations

RULES_FILE: Final = Path(__file__).resolve().parent / "data" / "elrp_v2g_rules.json"
ZONE: Final = ZoneInfo("America/Los_Angeles")
OWNER: Final = "owner01@example.com"
DECLINER: Final = "owner15@example.com"
# An owner whose standing rule accepts the upcoming event for them (issue 21).
RULE_OWNER: Final = "owner05@example.com"
PAST_EVENT_DAYS: Final = (dt.date(2025, 7, 22), dt.date(2025, 7, 29))
FIRST_DATA_DAY: Final = dt.date(2025, 7, 7)
EVENT_HOURS: Final = (17, 19)  # 17:00-19:00 local
SEASON: Final = range(5, 11)


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE).astimezone(dt.UTC)


def demo_event_readings(meters: list[tuple[str, bool, int]]) -> bytes:
    """Return a canonical CSV of hourly sub-meter readings, 7-29 July 2025.

    Each (meter, has import channel, number): on ordinary days a car exports 200 Wh an hour
    from 14:00 to 20:00; a bus imports 20 kWh an hour from 10:00 to 14:00. On the two event
    days, 17:00-19:00, a car exports (7 + number mod 4) kWh an hour and a bus 40 kWh.
    """
    lines = ["meter_id,start,end,export_wh,import_wh,quality"]
    day = FIRST_DATA_DAY
    while day <= PAST_EVENT_DAYS[-1]:
        for hour in range(24):
            start = _local(day, hour)
            end = start + dt.timedelta(hours=1)
            in_event = day in PAST_EVENT_DAYS and EVENT_HOURS[0] <= hour < EVENT_HOURS[1]
            for meter, is_bus, number in meters:
                if is_bus:
                    export = 40000 if in_event else 0
                    imported = 20000 if 10 <= hour < 14 else 0
                    lines.append(
                        f"{meter},{start.isoformat()},{end.isoformat()},{export},{imported},"
                    )
                else:
                    export = (
                        (7 + number % 4) * 1000 if in_event else (200 if 14 <= hour < 20 else 0)
                    )
                    lines.append(f"{meter},{start.isoformat()},{end.isoformat()},{export},,")
        # Repeated hours of a fall-back day do not occur in July; a day is 24 hours.
        day += dt.timedelta(days=1)
    return ("\n".join(lines) + "\n").encode()


def _next_season_weekday(now: dt.datetime) -> dt.date:
    day = now.astimezone(ZONE).date() + dt.timedelta(days=2)
    while day.month not in SEASON or day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _terms(day: dt.date, price: str) -> operations.EventTerms:
    start, end = _local(day, EVENT_HOURS[0]), _local(day, EVENT_HOURS[1])
    return operations.EventTerms(
        starts_at=start,
        ends_at=end,
        response_deadline=start - dt.timedelta(hours=2),
        kind=DispatchEvent.Kind.EMERGENCY,
        price_per_kwh=Decimal(price),
    )


def seed_events(*, program_code: str, now: dt.datetime) -> dict[str, object]:
    """Create the demo rules, readings, events, answers and deliveries (once); summarize."""
    program = Program.objects.get(code=program_code)
    rules = program_operations.import_rules(
        program_code=program_code,
        document=json.loads(RULES_FILE.read_text(encoding="utf-8")),
        source_name=RULES_FILE.name,
    )
    owner = Participant.objects.get(email=OWNER)
    site = owner.sites.get()
    account_operations.enroll(
        participant=owner, site=site, program=program, starts_on=dt.date(2025, 1, 1), now=now
    )
    meters = [
        (channel.meter_id, channel.meter_id.startswith("BUS"), number)
        for number, channel in enumerate(_event_channels(program), start=1)
    ]
    readings = metering_operations.ingest(
        stream=io.BytesIO(demo_event_readings(meters)),
        filename="demo-event-readings.csv",
        now=now,
        format="canonical-csv",
    )
    if not DispatchEvent.objects.filter(program=program).exists():
        for day in PAST_EVENT_DAYS:
            created = operations.create_event(
                program=program,
                terms=_terms(day, "2.00"),
                created_by=None,
                now=_local(day, 9) - dt.timedelta(days=1),
            )
            answered_at = _local(day, 10)
            for offer in created.offers.select_related("participant"):
                user = User.objects.get(email=offer.participant.email)
                if offer.participant.email == DECLINER:
                    operations.decline_offer(offer=offer, user=user, now=answered_at)
                else:
                    kw = Decimal("7.5") if offer.participant.email == OWNER else None
                    operations.accept_offer(
                        offer=offer, committed_kw=kw, user=user, now=answered_at
                    )
            operations.expire_offers(now=created.response_deadline + dt.timedelta(seconds=1))
            operations.measure_event(event=created, now=now)
        _standing_rule(now=now)
        operations.create_event(
            program=program,
            terms=_terms(_next_season_weekday(now), "2.00"),
            created_by=None,
            now=now,
        )
    return {
        "program": program_code,
        "rule_set": rules.as_dict()["version"],
        "events": DispatchEvent.objects.filter(program=program).count(),
        "open_offers": Offer.objects.filter(
            event__program=program, status=Offer.Status.OPEN
        ).count(),
        "readings_accepted": readings.upload.accepted,
    }


def _standing_rule(*, now: dt.datetime) -> None:
    """Give RULE_OWNER a battery and a rule that accepts weekday evening events at $1/kWh."""
    participant = Participant.objects.get(email=RULE_OWNER)
    user = User.objects.get(email=RULE_OWNER)
    charger = Charger.objects.filter(site__participant=participant).order_by("pk").first()
    if charger is not None:
        operations.set_battery(
            charger=charger,
            usable_kwh=Decimal("64"),
            wear_cost_per_kwh=Decimal("0.04"),
            user=user,
            now=now,
        )
    operations.create_standing_rule(
        participant=participant,
        terms=operations.StandingTerms(
            name="Weekday evenings over $1",
            min_price_per_kwh=Decimal("1.00"),
            max_kw=Decimal(5),
            weekdays="12345",
            start_hour=16,
            end_hour=21,
            monthly_limit=4,
            reserve_percent=30,
        ),
        user=user,
        now=now,
    )


def _event_channels(program: Program) -> list[Channel]:
    """Return the charger export channels of the program's enrolled sites."""
    return list(
        Channel.objects.filter(site__enrollments__program=program, kind="EVSE_EXPORT")
        .distinct()
        .order_by("meter_id")
    )
