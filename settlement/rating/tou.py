"""Pricing intervals under a time-of-use tariff (URDB semantics), tiers included."""

from datetime import datetime

import numpy as np

from settlement.rating import lines as line_building
from settlement.rating.billing_period import BillingPeriod
from settlement.rating.calendar_keys import month_day_type_hour_keys
from settlement.rating.intervals import Int64Array, IntervalArrays
from settlement.rating.lines import LinePart
from settlement.rating.local_time import SECONDS_PER_DAY, OffsetTable, day_table, offset_table
from settlement.rating.result import Attribution, RatingResult
from settlement.rating.splitting import KeyedEnergy, attribute
from settlement.rating.tariff import TouTariff

_OPEN = np.iinfo(np.int64).max


def _tier_counts(tariff: TouTariff) -> Int64Array:
    return np.array([max(1, len(period.tiers)) for period in tariff.periods], dtype=np.int64)


def _tier_bounds(tariff: TouTariff, tier_count: int) -> tuple[Int64Array, Int64Array]:
    # lower[p, k] and upper[p, k] in Wh; tiers a period lacks get an empty [open, open) range.
    lower = np.full((len(tariff.periods), tier_count), _OPEN, dtype=np.int64)
    upper = np.full((len(tariff.periods), tier_count), _OPEN, dtype=np.int64)
    for number, period in enumerate(tariff.periods):
        floor = 0
        for tier_number, tier in enumerate(period.tiers or ()):
            ceiling = _OPEN if tier.max_kwh is None else int(tier.max_kwh * 1000)
            lower[number, tier_number], upper[number, tier_number] = floor, ceiling
            floor = ceiling
        if not period.tiers:
            lower[number, 0] = 0
    return lower, upper


def _tier_windows(start_utc: Int64Array, table: OffsetTable, basis: str) -> Int64Array:
    # Tier ceilings restart every local day or local calendar month.
    epoch_day = table.local_seconds(start_utc) // SECONDS_PER_DAY
    if basis == "daily" or not epoch_day.shape[0]:
        return epoch_day
    days = day_table(int(epoch_day.min()), int(epoch_day.max()))
    row = days.index(epoch_day)
    return days.year[row] * 12 + days.month[row]


def _attribute_tiers(
    energy: KeyedEnergy, tariff: TouTariff, table: OffsetTable, bucket_base: Int64Array
) -> Attribution:
    tiered = np.array([bool(period.tiers) for period in tariff.periods])
    if not bool(tiered.any()):
        return Attribution(energy.interval, bucket_base[energy.key], energy.wh, energy.start_utc)
    flat = ~tiered[energy.key]
    parts = [
        (
            energy.interval[flat],
            bucket_base[energy.key[flat]],
            energy.wh[flat],
            energy.start_utc[flat],
        )
    ]
    rows = np.flatnonzero(~flat)
    period, wh, start = energy.key[rows], energy.wh[rows], energy.start_utc[rows]
    interval = energy.interval[rows]
    window = _tier_windows(start, table, tariff.tier_basis)
    # Energy fills tiers in time order within (period, window); equal starts (several
    # channels) break ties by interval index so the outcome is deterministic.
    order = np.lexsort((interval, start, window, period))
    period, wh, start, interval, window = (
        period[order],
        wh[order],
        start[order],
        interval[order],
        window[order],
    )
    running = np.cumsum(wh)
    new_group = np.ones(period.shape[0], dtype=bool)
    new_group[1:] = (period[1:] != period[:-1]) | (window[1:] != window[:-1])
    before_group = np.where(new_group, running - wh, 0)
    cumulative_end = running - np.maximum.accumulate(before_group)
    cumulative_start = cumulative_end - wh
    lower, upper = _tier_bounds(tariff, int(_tier_counts(tariff).max()))
    for tier_number in range(lower.shape[1]):
        low, high = lower[period, tier_number], upper[period, tier_number]
        in_tier = np.minimum(cumulative_end, high) - np.maximum(cumulative_start, low)
        # A zero-Wh row still belongs to the tier its cumulative position falls in.
        keep = (in_tier > 0) | ((wh == 0) & (low <= cumulative_start) & (cumulative_start < high))
        parts.append(
            (
                interval[keep],
                bucket_base[period[keep]] + tier_number,
                np.maximum(in_tier[keep], 0),
                start[keep],
            )
        )
    return Attribution(
        interval=np.concatenate([part[0] for part in parts]),
        bucket=np.concatenate([part[1] for part in parts]),
        wh=np.concatenate([part[2] for part in parts]),
        start_utc=np.concatenate([part[3] for part in parts]),
    )


def price_tou(
    intervals: IntervalArrays,
    tariff: TouTariff,
    *,
    period_start_utc: datetime,
    period_end_utc: datetime,
) -> RatingResult:
    """Return the priced lines of `intervals` under `tariff` for the billing period.

    Each interval's period comes from its local start in the tariff's zone; an interval that
    crosses an hour start is split in proportion to time (largest remainder, exact Wh). One
    line per period (per tier when tiered) in period order, then one per fixed item, then a
    minimum/maximum adjustment if needed. Raises `RatingInputError` when an interval is not
    inside `[period_start_utc, period_end_utc)` or the inputs are invalid.
    """
    period = BillingPeriod.from_datetimes(start=period_start_utc, end=period_end_utc)
    period.check_contains(intervals)
    table = offset_table(tariff.time_zone, start_utc=period.start_utc, end_utc=period.end_utc)
    keys = month_day_type_hour_keys(period, table, tariff.holidays)
    schedule = np.array([tariff.weekday_schedule, tariff.weekend_schedule], dtype=np.int64).reshape(
        -1
    )

    def period_of(local_s: Int64Array) -> Int64Array:
        return schedule[keys(local_s)]

    energy = attribute(intervals, table, period_of)
    tier_counts = _tier_counts(tariff)
    bucket_base = np.cumsum(tier_counts) - tier_counts
    attribution = _attribute_tiers(energy, tariff, table, bucket_base)
    bucket_period = np.repeat(np.arange(len(tariff.periods)), tier_counts)

    def describe(bucket: int) -> list[LinePart]:
        number = int(bucket_period[bucket])
        tou_period = tariff.periods[number]
        if not tou_period.tiers:
            return [(tou_period.label, "export", tou_period.export_price)]
        tier_number = bucket - int(bucket_base[number])
        tier = tou_period.tiers[tier_number]
        return [(f"{tou_period.label} tier {tier_number + 1}", "export", tier.price)]

    return line_building.rating_result(
        attribution,
        tariff=tariff,
        period=period,
        bucket_count=int(tier_counts.sum()),
        describe=describe,
    )
