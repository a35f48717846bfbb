"""Building programs with rules, enrolled chargers and hourly readings for event tests."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Channel, Enrollment, Program, User
from settlement.events import operations
from settlement.metering import daily_totals
from settlement.metering.models import Reading, Upload
from settlement.programs import operations as program_operations
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProgramFactory,
    SiteFactory,
    UserFactory,
)

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC


def incremental_rules(**changes: object) -> dict:
    """Return an EVENT_INCREMENTAL rule set: $2/kWh, 3-of-3 weekdays, 2-hour adjustment."""
    parameters = {
        "channel_kind": "EVSE_EXPORT",
        "price_per_kwh": "2.00",
        "baseline": {
            "method": "X_OF_Y",
            "weekday": {"days": 3, "of_days": 3},
            "weekend_holiday": {"days": 1, "of_days": 1},
            "lookback_days": 10,
        },
        "adjustment": {
            "hours_before": 2,
            "skip_hours": 0,
            "min_factor": "1.00",
            "max_factor": "1.40",
        },
    }
    parameters.update(changes)
    return {
        "effective_from": "2025-01-01",
        "rules": [{"name": "incremental", "kind": "EVENT_INCREMENTAL", "parameters": parameters}],
    }


def offer_rules(**changes: object) -> dict:
    """Return an ACCEPTED_OFFER rule set on the charger's sub-meter."""
    parameters: dict[str, object] = {"channel_kind": "EVSE_EXPORT"}
    parameters.update(changes)
    return {
        "effective_from": "2025-01-01",
        "rules": [{"name": "offer", "kind": "ACCEPTED_OFFER", "parameters": parameters}],
    }


def program_with(document: dict, code: str = "elrp") -> Program:
    program = ProgramFactory(code=code, name=f"Program {code}", timezone="America/Los_Angeles")
    program_operations.import_rules(program_code=code, document=document)
    return program


class Owner:
    """An owner with a site, a charger and its export and import sub-meter channels."""

    def __init__(
        self,
        program: Program,
        email: str = "owner@example.com",
        max_kw: Decimal = Decimal("11.5"),
        starts_on: dt.date = dt.date(2025, 1, 1),
    ) -> None:
        participant = ParticipantFactory(email=email)
        self.user: User = UserFactory(email=email)
        MembershipFactory(user=self.user, participant=participant)
        site = SiteFactory(participant=participant)
        charger = ChargerFactory(site=site, max_discharge_kw=max_kw)
        meter = f"SM-{participant.pk}"
        self.export: Channel = ChannelFactory(
            site=site, meter_id=meter, kind="EVSE_EXPORT", charger=charger
        )
        self.import_: Channel = ChannelFactory(
            site=site, meter_id=meter, kind="EVSE_IMPORT", charger=charger
        )
        self.enrollment: Enrollment = EnrollmentFactory(
            participant=participant, site=site, program=program, starts_on=starts_on
        )
        self.participant = participant


def _an_upload() -> Upload:
    number = Upload.objects.count() + 1
    return Upload.objects.create(
        file="metering/uploads/test.csv",
        size_bytes=0,
        sha256=f"{number:064d}",
        target="tests",
        received_at=dt.datetime(2025, 12, 1, tzinfo=UTC),
    )


def local_hour(day: dt.date, hour: int, fold: int = 0) -> dt.datetime:
    """Return the UTC instant local `hour` starts on `day` in Los Angeles."""
    return (
        dt.datetime.combine(day, dt.time(hour), tzinfo=LOS_ANGELES)
        .replace(fold=fold)
        .astimezone(UTC)
    )


def add_hours(
    channel: Channel, rows: Iterable[tuple[dt.datetime, int]], quality: str = "ACTUAL"
) -> None:
    """Store hourly readings (UTC start, Wh) of `channel`."""
    upload = _an_upload()
    Reading.objects.bulk_create(
        Reading(
            channel=channel,
            start=start,
            duration_s=3600,
            wh=wh,
            quality=quality,
            upload=upload,
            received_at=upload.received_at,
        )
        for start, wh in rows
    )
    # As ingestion would: the pages read the daily totals, not the readings.
    daily_totals.rebuild(channel_ids=[channel.pk])


def add_day(channel: Channel, day: dt.date, wh: int = 0, **hours: int) -> None:
    """Store 24 hourly readings of local `day`: `wh` each, except hours named h17=... ."""
    add_hours(
        channel,
        [(local_hour(day, hour), hours.get(f"h{hour}", wh)) for hour in range(24)],
    )


def dispatch(
    program: Program,
    start: dt.datetime,
    end: dt.datetime,
    *,
    kind: str = "EMERGENCY",
    price: str = "2.00",
    deadline: dt.datetime | None = None,
    now: dt.datetime | None = None,
):
    """Create an event through the operation, `now` a day before it starts by default."""
    return operations.create_event(
        program=program,
        terms=operations.EventTerms(
            starts_at=start,
            ends_at=end,
            response_deadline=deadline or start - dt.timedelta(hours=1),
            kind=kind,
            price_per_kwh=Decimal(price),
        ),
        created_by=None,
        now=now or start - dt.timedelta(days=1),
    )
