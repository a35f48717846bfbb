"""Turning attributed energy into priced lines, fixed lines and the minimum/maximum bound."""

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from settlement.rating.billing_period import BillingPeriod
from settlement.rating.intervals import Int64Array
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


@dataclasses.dataclass(frozen=True, eq=False)
class BucketSums:
    """Per bucket: the Wh attributed to it, whether any row is, and its first and last start."""

    wh: Int64Array
    used: npt.NDArray[np.bool_]
    first_start_utc: Int64Array
    last_start_utc: Int64Array

    def row(self, number: int, bucket_count: int) -> "BucketSums":
        """Return the sums of block `number` when keys were `block x bucket_count + bucket`."""
        part = slice(number * bucket_count, (number + 1) * bucket_count)
        return BucketSums(
            self.wh[part], self.used[part], self.first_start_utc[part], self.last_start_utc[part]
        )


def bucket_sums(
    key: Int64Array, wh: Int64Array, start_utc: Int64Array, *, key_count: int
) -> BucketSums:
    """Return the sums of attribution rows by `key` (0 to `key_count` - 1)."""
    total = np.zeros(key_count, dtype=np.int64)
    np.add.at(total, key, wh)
    used = np.bincount(key, minlength=key_count) > 0
    first = np.full(key_count, _FAR_FUTURE, dtype=np.int64)
    np.minimum.at(first, key, start_utc)
    last = np.full(key_count, _FAR_PAST, dtype=np.int64)
    np.maximum.at(last, key, start_utc)
    return BucketSums(total, used, first, last)


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
    sums = bucket_sums(
        attribution.bucket, attribution.wh, attribution.start_utc, key_count=bucket_count
    )
    return lines_of_sums(sums, zone=zone, describe=describe, values=values)


def _local(utc: int, info: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(utc, tz=UTC).astimezone(info)


def lines_of_sums(
    sums: BucketSums,
    *,
    zone: str,
    describe: DescribeBucket,
    values: BucketValues | None = None,
) -> list[Line]:
    """Return the energy lines of the used buckets of `sums`, in bucket order."""
    info = zone_info(zone)
    lines = []
    for bucket in np.flatnonzero(sums.used).tolist():
        kwh = kwh_of(int(sums.wh[bucket]))
        first_local = _local(int(sums.first_start_utc[bucket]), info)
        last_local = _local(int(sums.last_start_utc[bucket]), info)
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
    lines = energy_lines(
        energy.attribution,
        bucket_count=energy.bucket_count,
        zone=zone,
        describe=energy.describe,
        values=energy.values,
    )
    return result_with(
        lines, energy.attribution, zone=zone, fixed=fixed, minimum=minimum, maximum=maximum
    )


def result_with(
    energy: Sequence[Line],
    attribution: Attribution,
    *,
    zone: str,
    fixed: Sequence[Line],
    minimum: Decimal | None,
    maximum: Decimal | None,
) -> RatingResult:
    """Return the result of energy lines already built: them, `fixed`, then any bound line."""
    result_lines = [*energy, *fixed]
    result_lines += bound_line(result_lines, minimum=minimum, maximum=maximum)
    return RatingResult(
        time_zone=zone,
        lines=tuple(result_lines),
        total=total_of(result_lines),
        attribution=attribution,
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
