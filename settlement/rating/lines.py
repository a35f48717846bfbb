"""Turning attributed energy into priced lines, fixed lines and bound adjustments."""

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


def kwh_of(wh: int) -> Decimal:
    """Return integer Wh as an exact kWh Decimal with three places (1234 -> 1.234)."""
    return Decimal(wh).scaleb(-3)


def priced(quantity: Decimal, price: Decimal) -> Decimal:
    """Return quantity x price computed exactly and rounded half-up to cents once."""
    return round_to_cents(_EXACT.multiply(quantity, price))


def energy_lines(
    attribution: Attribution, *, bucket_count: int, zone: str, describe: DescribeBucket
) -> list[Line]:
    """Return the energy lines of every bucket that holds attributed energy, bucket order.

    `describe(bucket)` gives the (label, component, price) of each line of that bucket: one
    for a TOU period or tier, two (generation, delivery) for a price-vector key.
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
        for label, component, price in describe(bucket):
            lines.append(
                Line(
                    label=label,
                    component=component,
                    unit="kWh",
                    quantity=kwh,
                    kwh=kwh,
                    price=price,
                    amount=priced(kwh, price),
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


def bound_adjustment(
    lines: Sequence[Line], *, minimum: Decimal | None, maximum: Decimal | None
) -> list[Line]:
    """Return the adjustment line that brings the total within [minimum, maximum], if any."""
    total = sum((line.amount for line in lines), Decimal("0.00"))
    if maximum is not None and total > round_to_cents(maximum):
        label, target = "Maximum adjustment", round_to_cents(maximum)
    elif minimum is not None and total < round_to_cents(minimum):
        label, target = "Minimum adjustment", round_to_cents(minimum)
    else:
        return []
    difference = target - total
    return [
        Line(
            label=label,
            component="adjustment",
            unit="total",
            quantity=Decimal(1),
            kwh=Decimal("0.000"),
            price=difference,
            amount=difference,
        )
    ]


def total_of(lines: Sequence[Line]) -> Decimal:
    """Return the exact sum of the lines' amounts."""
    return sum((line.amount for line in lines), Decimal("0.00"))


def rating_result(
    attribution: Attribution,
    *,
    tariff: TouTariff | HourlyVectorTariff,
    period: BillingPeriod,
    bucket_count: int,
    describe: DescribeBucket,
) -> RatingResult:
    """Return the result: energy lines, then fixed items, then any minimum/maximum adjustment."""
    result_lines = energy_lines(
        attribution, bucket_count=bucket_count, zone=tariff.time_zone, describe=describe
    )
    result_lines += fixed_lines(tariff.fixed_items, period=period, zone=tariff.time_zone)
    result_lines += bound_adjustment(
        result_lines, minimum=tariff.minimum_total, maximum=tariff.maximum_total
    )
    return RatingResult(
        time_zone=tariff.time_zone,
        lines=tuple(result_lines),
        total=total_of(result_lines),
        attribution=attribution,
    )
