"""Pricing intervals under an hourly export price vector, generation and delivery apart."""

from collections.abc import Callable
from datetime import UTC, datetime

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
    zone_info,
)
from settlement.rating.result import Attribution, RatingResult
from settlement.rating.splitting import KeyFunction, attribute
from settlement.rating.tariff import DayType, HourlyVectorTariff, VectorPrice

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_TYPE_WORDS = {DayType.WEEKDAY: "weekday", DayType.WEEKEND_HOLIDAY: "weekend/holiday"}


def _parts(label: str, price: VectorPrice) -> list[LinePart]:
    return [
        (f"{label} generation", "generation", price.generation),
        (f"{label} delivery", "delivery", price.delivery),
    ]


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
        label = (
            f"{MONTH_NAMES[month - 1]} {_DAY_TYPE_WORDS[day_type]} {hour:02d}:00-{hour + 1:02d}:00"
        )
        return _parts(label, price)

    return table, keys, KEY_COUNT, describe


def _utc_hour_pricing(
    tariff: HourlyVectorTariff,
) -> tuple[OffsetTable, KeyFunction, int, Callable[[int], list[LinePart]]]:
    hours = np.array(sorted(tariff.by_utc_hour), dtype=np.int64)
    info = zone_info(tariff.time_zone)

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

    def describe(bucket: int) -> list[LinePart]:
        hour_start = int(hours[bucket])
        local = datetime.fromtimestamp(hour_start, tz=info)
        return _parts(f"{local:%Y-%m-%d %H:%M %Z}", tariff.by_utc_hour[hour_start])

    return utc_offset_table(), hour_index, int(hours.shape[0]), describe


def vector_energy(
    intervals: IntervalArrays, tariff: HourlyVectorTariff, period: BillingPeriod
) -> line_building.EnergyPricing:
    """Return the energy of `intervals` attributed to the vector's price keys.

    Keys are (day type, month, local hour) for a month table or UTC hours for an absolute
    table; an interval crossing an hour start is split in proportion to time. The intervals
    must lie inside `period` (checked by the caller). Raises `RatingInputError` when a key an
    interval needs has no price.
    """
    if tariff.by_month_day_type_hour:
        table, key_of, bucket_count, describe = _month_day_type_hour_pricing(tariff, period)
    else:
        table, key_of, bucket_count, describe = _utc_hour_pricing(tariff)
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

    Two lines (generation, then delivery) per price key in key order (see `vector_energy`),
    then fixed lines and a minimum/maximum bound line. Raises `RatingInputError` when an
    interval is outside the billing period, or a key it needs has no price.
    """
    period = BillingPeriod.from_datetimes(start=period_start_utc, end=period_end_utc)
    period.check_contains(intervals)
    return line_building.rating_result(
        vector_energy(intervals, tariff, period), tariff=tariff, period=period
    )
