"""Reads for a fleet's per-vehicle breakdown: each charger's kWh, events and earnings.

It sits in payouts, beside the dashboard, because it reads readings (through the daily
totals), event deliveries and statement lines. Earnings follow the statements' own lineage:
a line names the readings it priced by channel, so its amount goes to the chargers whose
sub-meter channels it names, in proportion to their readings. A line that names no
charger's channel (the revenue meter, a fixed incentive) is shown as not attributed to a
vehicle rather than spread over them. Five queries whatever the size of the fleet.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from accounts.models import Channel, Charger, Enrollment, Participant
from settlement.events.models import Delivery
from settlement.metering.models import DailyTotal
from settlement.rating.money import CENT
from settlement.statements.models import Statement, StatementLine

OWNER_VISIBLE = (Statement.State.APPROVED, Statement.State.RELEASED)
WH_PER_KWH = Decimal(1000)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class VehicleRow:
    """One charger (one vehicle) over the period."""

    charger_id: int
    external_id: str
    name: str
    site: str
    exported_kwh: Decimal
    events_delivered: int
    earnings: Decimal


@dataclass(frozen=True)
class Breakdown:
    """Every charger's row, and what the period's statements paid beyond the vehicles."""

    currency: str
    rows: list[VehicleRow]
    not_attributed: Decimal
    total_earnings: Decimal


def split(*, amount: Decimal, weights: dict[int, int]) -> dict[int, Decimal]:
    """Return `amount` shared by `weights`, each rounded half-up to cents, summing exactly.

    The cent a rounding leaves over goes to the largest share (the lowest key on a tie),
    so the rows add up to the line as the statement shows it.
    """
    total = sum(weights.values())
    shares = {
        key: (amount * weight / total).quantize(CENT, rounding=ROUND_HALF_UP)
        for key, weight in weights.items()
    }
    largest = min(weights, key=lambda key: (-weights[key], key))
    shares[largest] += amount - sum(shares.values(), ZERO)
    return shares


def _charger_weights(lineage: list[list[int]], charger_of: dict[int, int]) -> dict[int, int]:
    """Return readings per charger among a line's lineage runs [channel, start, s, count, rev]."""
    weights: Counter[int] = Counter()
    for channel_id, _start, _duration, count, _revision in lineage:
        charger_id = charger_of.get(channel_id)
        if charger_id is not None:
            weights[charger_id] += count
    return dict(weights)


def breakdown(*, participant: Participant, first_day: dt.date, end_day: dt.date) -> Breakdown:
    """Return each charger's exported kWh, events delivered and earnings in local days
    [first_day, end_day).

    Earnings are of approved and released statements whose period starts in the range;
    events are current, settleable deliveries of events starting in it.
    """
    enrollment = (
        Enrollment.objects.filter(participant=participant)
        .select_related("program")
        .order_by("starts_on", "program__code")
        .first()
    )
    currency = enrollment.program.currency if enrollment else "USD"
    zone = ZoneInfo(enrollment.program.timezone if enrollment else "UTC")
    chargers = list(
        Charger.objects.filter(site__participant=participant)
        .select_related("site")
        .order_by("external_id")
    )
    charger_of = dict(
        Channel.objects.filter(charger__site__participant=participant).values_list(
            "pk", "charger_id"
        )
    )
    exported = dict(
        DailyTotal.objects.filter(
            channel_id__in=list(charger_of), day__gte=first_day, day__lt=end_day
        )
        .values("channel__charger_id")
        .annotate(wh=Sum("export_wh"))
        .values_list("channel__charger_id", "wh")
    )
    events: Counter[int] = Counter()
    for inputs in Delivery.objects.filter(
        offer__participant=participant,
        superseded_at__isnull=True,
        settleable=True,
        offer__event__starts_at__gte=dt.datetime.combine(first_day, dt.time(), tzinfo=zone),
        offer__event__starts_at__lt=dt.datetime.combine(end_day, dt.time(), tzinfo=zone),
    ).values_list("inputs", flat=True):
        # A delivery measured on a charger's sub-meter counts once for that charger.
        for charger_id in {charger_of.get(key[0]) for key in inputs.get("readings", [])}:
            if charger_id is not None:
                events[charger_id] += 1
    earnings: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    not_attributed = total = ZERO
    for amount, lineage in StatementLine.objects.filter(
        statement__participant=participant,
        statement__currency=currency,
        statement__state__in=OWNER_VISIBLE,
        statement__run__period_start__gte=first_day,
        statement__run__period_start__lt=end_day,
    ).values_list("amount", "lineage"):
        total += amount
        weights = _charger_weights(lineage or [], charger_of)
        if not weights:
            not_attributed += amount
            continue
        for charger_id, share in split(amount=amount, weights=weights).items():
            earnings[charger_id] += share
    return Breakdown(
        currency=currency,
        rows=[
            VehicleRow(
                charger_id=charger.pk,
                external_id=charger.external_id,
                name=charger.name,
                site=charger.site.account_number,
                exported_kwh=Decimal(exported.get(charger.pk) or 0) / WH_PER_KWH,
                events_delivered=events[charger.pk],
                earnings=earnings[charger.pk],
            )
            for charger in chargers
        ],
        not_attributed=not_attributed,
        total_earnings=total,
    )
