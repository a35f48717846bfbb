"""Turning attributed energy into priced lines, fixed lines and the minimum/maximum bound."""

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np

from settlement.rating.billing_period import BillingPeriod
from settlement.rating.local_time import zone_info
from settlement.rating.money import round_to_cents
from settlement.rating.result import Attribution, Component, Line, RatingResult
from settlement.rating.tariff import FixedItem, HourlyVectorTariff, TouTariff

# Enough digits that kWh x price is exact before the single rounding to cents.
_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)
_FAR_FUTURE = np.iinfo(np.int64).max
_FAR_PAST = np.iinfo(np.int64).min

LinePart = tuple[str, Component, Decimal]
DescribeBucket = Callable[[int], Sequence[LinePart]]
# The exact (unrounded) value of each of a bucket's line parts, in `describe` order, or
# None when each part is simply kWh x its price.
BucketValues = Callable[[int], Sequence[Decimal] | None]


@dataclasses.dataclass(frozen=True, eq=False)
class EnergyPricing:
    """Energy attributed to buckets, and how to describe each bucket's lines.

    `values` is given when a bucket's price varies inside it (an absolute-hour vector
    grouped by month, day type and hour): each line's amount is then its exact value
    (the sum of each hour's kWh x that hour's price), rounded once, and the part's price
    only states the energy-weighted average. Without it, amount = kWh x price.
    """

    attribution: Attribution
    bucket_count: int
    describe: DescribeBucket
    values: BucketValues | None = None


def kwh_of(wh: int) -> Decimal:
    """Return integer Wh as an exact kWh Decimal with three places (1234 -> 1.234)."""
    return Decimal(wh).scaleb(-3)


def exact_value(quantity: Decimal, price: Decimal) -> Decimal:
    """Return quantity x price computed exactly (no rounding)."""
    return _EXACT.multiply(quantity, price)


def priced(quantity: Decimal, price: Decimal) -> Decimal:
    """Return quantity x price computed exactly and rounded half-up to cents once."""
    return round_to_cents(_EXACT.multiply(quantity, price))


def energy_lines(
    attribution: Attribution,
    *,
    bucket_count: int,
    zone: str,
    describe: DescribeBucket,
    values: BucketValues | None = None,
) -> list[Line]:
    """Return the energy lines of every bucket that holds attributed energy, bucket order.

    `describe(bucket)` gives the (label, component, price) of each line of that bucket: one
    for a TOU period or tier, two (generation, delivery) for a price-vector key. `values`:
    see `EnergyPricing`.
    """
    wh = np.zeros(bucket_count, dtype=np.int64)
    np.add.at(wh, attribution.bucket, attribution.wh)
    used = np.bincount(attribution.bucket, minlength=bucket_count) > 0
    first = np.full(bucket_count, _FAR_FUTURE, dtype=np.int64)
    np.minimum.at(first, attribution.bucket, attribution.start_utc)
    last = np.full(bucket_count, _FAR_PAST, dtype=np.int64)
    np.maximum.at(last, attribution.bucket, attribution.start_utc)
    info = zone_info(zone)
    lines = []
    for bucket in np.flatnonzero(used).tolist():
        kwh = kwh_of(int(wh[bucket]))
        first_local = datetime.fromtimestamp(int(first[bucket]), tz=UTC).astimezone(info)
        last_local = datetime.fromtimestamp(int(last[bucket]), tz=UTC).astimezone(info)
        exact = values(bucket) if values is not None else None
        for number, (label, component, price) in enumerate(describe(bucket)):
            amount = priced(kwh, price) if exact is None else round_to_cents(exact[number])
            lines.append(
                Line(
                    label=label,
                    component=component,
                    unit="kWh",
                    quantity=kwh,
                    kwh=kwh,
                    price=price,
                    amount=amount,
                    bucket=bucket,
                    first_local_start=first_local,
                    last_local_start=last_local,
                )
            )
    return lines


def fixed_lines(items: Sequence[FixedItem], *, period: BillingPeriod, zone: str) -> list[Line]:
    """Return one line per fixed item, counting the local days or months the period holds.

    Days are counted from the period's actual local dates (30 in June, 31 in July), never
    from an average month.
    """
    lines = []
    for item in items:
        starts = (
            period.local_day_starts(zone) if item.per == "day" else period.local_month_starts(zone)
        )
        count = Decimal(len(starts))
        lines.append(
            Line(
                label=item.label,
                component="fixed",
                unit=item.per,
                quantity=count,
                kwh=Decimal("0.000"),
                price=item.amount,
                amount=priced(count, item.amount),
            )
        )
    return lines


def bound_line(
    lines: Sequence[Line], *, minimum: Decimal | None, maximum: Decimal | None
) -> list[Line]:
    """Return the line that brings the total within [minimum, maximum], if one is needed.

    Its component is "bound", never "adjustment": adjustments are what a recalculation of a
    settled statement books, a different thing.
    """
    total = total_of(lines)
    if maximum is not None and total > round_to_cents(maximum):
        label, target = "Maximum total cap", round_to_cents(maximum)
    elif minimum is not None and total < round_to_cents(minimum):
        label, target = "Minimum total top-up", round_to_cents(minimum)
    else:
        return []
    difference = target - total
    return [
        Line(
            label=label,
            component="bound",
            unit="total",
            quantity=Decimal(1),
            kwh=Decimal("0.000"),
            price=difference,
            amount=difference,
        )
    ]


def merged_fixed_lines(lines: Sequence[Line]) -> list[Line]:
    """Return fixed lines with the same label, unit and price merged into one, first seen first.

    When versions of one tariff split a billing period, an unchanged daily item is one line
    for the period, its days counted across the versions and rounded once.
    """
    quantities: dict[tuple[str, str, Decimal], Decimal] = {}
    firsts: dict[tuple[str, str, Decimal], Line] = {}
    for line in lines:
        key = (line.label, line.unit, line.price)
        quantities[key] = quantities.get(key, Decimal(0)) + line.quantity
        firsts.setdefault(key, line)
    return [
        dataclasses.replace(
            first, quantity=quantities[key], amount=priced(quantities[key], first.price)
        )
        for key, first in firsts.items()
    ]


def total_of(lines: Sequence[Line]) -> Decimal:
    """Return the exact sum of the lines' amounts."""
    return sum((line.amount for line in lines), Decimal("0.00"))


def result_of(
    energy: EnergyPricing,
    *,
    zone: str,
    fixed: Sequence[Line],
    minimum: Decimal | None,
    maximum: Decimal | None,
) -> RatingResult:
    """Return the result: energy lines, then `fixed`, then any minimum/maximum bound line."""
    result_lines = energy_lines(
        energy.attribution,
        bucket_count=energy.bucket_count,
        zone=zone,
        describe=energy.describe,
        values=energy.values,
    )
    result_lines += fixed
    result_lines += bound_line(result_lines, minimum=minimum, maximum=maximum)
    return RatingResult(
        time_zone=zone,
        lines=tuple(result_lines),
        total=total_of(result_lines),
        attribution=energy.attribution,
    )


def rating_result(
    energy: EnergyPricing, *, tariff: TouTariff | HourlyVectorTariff, period: BillingPeriod
) -> RatingResult:
    """Return the result of one tariff over one billing period: energy, fixed, bound lines."""
    return result_of(
        energy,
        zone=tariff.time_zone,
        fixed=fixed_lines(tariff.fixed_items, period=period, zone=tariff.time_zone),
        minimum=tariff.minimum_total,
        maximum=tariff.maximum_total,
    )
