"""Pricing intervals under an hourly export price vector, generation and delivery apart."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from settlement.rating import lines as line_building
from settlement.rating.billing_period import BillingPeriod
from settlement.rating.calendar_keys import KEY_COUNT, decode, month_day_type_hour_keys
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import Int64Array, IntervalArrays
from settlement.rating.lines import LinePart
from settlement.rating.local_time import (
    SECONDS_PER_HOUR,
    OffsetTable,
    offset_table,
    utc_offset_table,
)
from settlement.rating.result import Attribution, RatingResult
from settlement.rating.splitting import KeyFunction, attribute
from settlement.rating.tariff import DayType, HourlyVectorTariff, VectorPrice

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SHOWN_PRICE = Decimal("0.00001")
_DAY_TYPE_WORDS = {DayType.WEEKDAY: "weekday", DayType.WEEKEND_HOLIDAY: "weekend/holiday"}


def _parts(label: str, price: VectorPrice) -> list[LinePart]:
    return [
        (f"{label} generation", "generation", price.generation),
        (f"{label} delivery", "delivery", price.delivery),
    ]


def _key_label(key: int) -> str:
    month, day_type, hour = decode(key)
    return f"{MONTH_NAMES[month - 1]} {_DAY_TYPE_WORDS[day_type]} {hour:02d}:00-{hour + 1:02d}:00"


def _month_day_type_hour_pricing(
    tariff: HourlyVectorTariff, period: BillingPeriod
) -> tuple[OffsetTable, KeyFunction, int, Callable[[int], list[LinePart]]]:
    table = offset_table(tariff.time_zone, start_utc=period.start_utc, end_utc=period.end_utc)
    keys = month_day_type_hour_keys(period, table, tariff.holidays)

    def describe(bucket: int) -> list[LinePart]:
        month, day_type, hour = decode(bucket)
        price = tariff.by_month_day_type_hour.get((month, day_type, hour))
        if price is None:
            raise RatingInputError(
                f"no price for {MONTH_NAMES[month - 1]} {_DAY_TYPE_WORDS[day_type]} hour {hour}"
            )
        return _parts(_key_label(bucket), price)

    return table, keys, KEY_COUNT, describe


def _hour_index(hours: Int64Array) -> KeyFunction:
    def hour_index(utc_s: Int64Array) -> Int64Array:
        hour_start = utc_s // SECONDS_PER_HOUR * SECONDS_PER_HOUR
        index = np.searchsorted(hours, hour_start).astype(np.int64)
        clipped = np.minimum(index, hours.shape[0] - 1)
        missing = hours[clipped] != hour_start
        if bool(missing.any()):
            first = int(hour_start[int(missing.argmax())])
            raise RatingInputError(
                f"no price for the UTC hour starting "
                f"{datetime.fromtimestamp(first, tz=UTC).isoformat()}"
            )
        return index

    return hour_index


def _shown_price(prices: list[Decimal], wh: list[int], exact: Decimal) -> Decimal:
    # One price: that price. Several (the two 01:00 hours of a fall-back day): the
    # energy-weighted average, to five places, for display; the amount uses `exact`.
    if len(set(prices)) == 1:
        return prices[0]
    total = sum(wh)
    if total == 0:
        return prices[0]
    return (exact * 1000 / total).quantize(_SHOWN_PRICE, rounding=ROUND_HALF_UP)


def _absolute_hour_energy(
    intervals: IntervalArrays, tariff: HourlyVectorTariff, period: BillingPeriod
) -> line_building.EnergyPricing:
    # Energy is priced by the UTC hour it falls in, then grouped by the (month, day type,
    # local hour) of that hour's start, so a month reads as at most 2 x 24 keys (not one
    # line per hour) while each hour keeps its own price until the one rounding per line.
    hours = np.array(sorted(tariff.by_utc_hour), dtype=np.int64)
    energy = attribute(intervals, utc_offset_table(), _hour_index(hours))
    table = offset_table(tariff.time_zone, start_utc=period.start_utc, end_utc=period.end_utc)
    keys = month_day_type_hour_keys(period, table, tariff.holidays)
    bucket = keys(table.local_seconds(hours[energy.key]))
    pair = bucket * hours.shape[0] + energy.key
    pairs, inverse = np.unique(pair, return_inverse=True)
    pair_wh = np.zeros(pairs.shape[0], dtype=np.int64)
    np.add.at(pair_wh, inverse, energy.wh)
    hours_of: dict[int, list[tuple[int, int]]] = {}
    for value, wh in zip(pairs.tolist(), pair_wh.tolist(), strict=True):
        key, hour = divmod(value, int(hours.shape[0]))
        hours_of.setdefault(key, []).append((int(hours[hour]), wh))

    def values(key: int) -> list[Decimal]:
        parts = hours_of[key]
        return [
            sum(
                (
                    line_building.exact_value(
                        line_building.kwh_of(wh), getattr(tariff.by_utc_hour[hour], component)
                    )
                    for hour, wh in parts
                ),
                Decimal(0),
            )
            for component in ("generation", "delivery")
        ]

    def describe(key: int) -> list[LinePart]:
        parts = hours_of[key]
        wh = [wh for _, wh in parts]
        generation, delivery = values(key)
        price = VectorPrice(
            generation=_shown_price(
                [tariff.by_utc_hour[hour].generation for hour, _ in parts], wh, generation
            ),
            delivery=_shown_price(
                [tariff.by_utc_hour[hour].delivery for hour, _ in parts], wh, delivery
            ),
        )
        return _parts(_key_label(key), price)

    attribution = Attribution(energy.interval, bucket, energy.wh, energy.start_utc)
    return line_building.EnergyPricing(
        attribution=attribution, bucket_count=KEY_COUNT, describe=describe, values=values
    )


def vector_energy(
    intervals: IntervalArrays, tariff: HourlyVectorTariff, period: BillingPeriod
) -> line_building.EnergyPricing:
    """Return the energy of `intervals` attributed to the vector's price keys.

    Keys are (day type, month, local hour). A month table prices each key; an absolute
    (UTC-hour) table prices each UTC hour at its own price and groups the hours by the key
    of their local start, so a line is "Jul weekday 19:00-20:00" whichever table priced it.
    An interval crossing an hour start is split in proportion to time. The intervals must
    lie inside `period` (checked by the caller). Raises `RatingInputError` when a key or UTC
    hour an interval needs has no price.
    """
    if not tariff.by_month_day_type_hour:
        return _absolute_hour_energy(intervals, tariff, period)
    table, key_of, bucket_count, describe = _month_day_type_hour_pricing(tariff, period)
    energy = attribute(intervals, table, key_of)
    attribution = Attribution(energy.interval, energy.key, energy.wh, energy.start_utc)
    return line_building.EnergyPricing(
        attribution=attribution, bucket_count=bucket_count, describe=describe
    )


def price_vector(
    intervals: IntervalArrays,
    tariff: HourlyVectorTariff,
    *,
    period_start_utc: datetime,
    period_end_utc: datetime,
) -> RatingResult:
    """Return the priced lines of `intervals` under an hourly price vector.

    Two lines (generation, then delivery) per (month, day type, local hour) key in key order
    (see `vector_energy`),
    then fixed lines and a minimum/maximum bound line. Raises `RatingInputError` when an
    interval is outside the billing period, or a key it needs has no price.
    """
    period = BillingPeriod.from_datetimes(start=period_start_utc, end=period_end_utc)
    period.check_contains(intervals)
    return line_building.rating_result(
        vector_energy(intervals, tariff, period), tariff=tariff, period=period
    )
