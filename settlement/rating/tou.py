"""Pricing intervals under a time-of-use tariff (URDB semantics), tiers included."""

from datetime import datetime

import numpy as np

from settlement.rating import lines as line_building
from settlement.rating.billing_period import BillingPeriod
from settlement.rating.calendar_keys import month_day_type_hour_keys
from settlement.rating.intervals import Int64Array, IntervalArrays
from settlement.rating.lines import LinePart
from settlement.rating.local_time import SECONDS_PER_DAY, offset_table
from settlement.rating.result import Attribution, RatingResult
from settlement.rating.splitting import KeyedEnergy, attribute
from settlement.rating.tariff import TouTariff

_OPEN = np.iinfo(np.int64).max


def _tier_counts(tariff: TouTariff) -> Int64Array:
    return np.array([max(1, len(period.tiers)) for period in tariff.periods], dtype=np.int64)


def _tier_bounds(tariff: TouTariff, tier_count: int) -> tuple[Int64Array, Int64Array]:
    # lower[p, k] and upper[p, k] in Wh; tiers a period lacks get an empty [open, open) range.
    # Filled with an int64, so int64 arrays. Periods without tiers are never read here: their
    # energy is priced flat (see `_attribute_tiers`).
    lower = np.full((len(tariff.periods), tier_count), _OPEN)
    upper = np.full((len(tariff.periods), tier_count), _OPEN)
    for number, period in enumerate(tariff.periods):
        floor = 0
        for tier_number, tier in enumerate(period.tiers or ()):
            # A ceiling beyond int64 is never reached (the core bounds total Wh below it).
            ceiling = _OPEN if tier.max_kwh is None else min(int(tier.max_kwh * 1000), _OPEN)
            lower[number, tier_number], upper[number, tier_number] = floor, ceiling
            floor = ceiling
    return lower, upper


def _tier_windows(local_s: Int64Array, basis: str) -> Int64Array:
    # Tier ceilings restart every local day or local calendar month: the window is the local
    # day number, or year x 12 + month - 1 of the local date.
    epoch_day = local_s // SECONDS_PER_DAY
    if basis == "daily":
        return epoch_day
    return epoch_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _attribute_tiers(
    energy: KeyedEnergy,
    tariff: TouTariff,
    bucket_base: Int64Array,
    period_count: int,
    batch: Int64Array | None,
) -> Attribution:
    # Keys are window x period_count + period (see `tou_energy`), so the parts of a reading in
    # two days or months stay apart and each counts against its own window's ceilings.
    # Batches (channels priced in one call) fill their tiers apart, as if priced alone.
    energy_period = energy.key % period_count
    tiered = np.array([bool(period.tiers) for period in tariff.periods])
    flat = ~tiered[energy_period]
    parts = [
        (
            energy.interval[flat],
            bucket_base[energy_period[flat]],
            energy.wh[flat],
            energy.start_utc[flat],
        )
    ]
    rows = np.flatnonzero(~flat)
    period, wh, start = energy_period[rows], energy.wh[rows], energy.start_utc[rows]
    interval = energy.interval[rows]
    window = energy.key[rows] // period_count
    owner = np.zeros(rows.shape[0], dtype=np.int64) if batch is None else batch[interval]
    # Energy fills tiers in time order within (batch, period, window); equal starts (several
    # channels) break ties by interval index so the outcome is deterministic.
    order = np.lexsort((interval, start, window, period, owner))
    period, wh, start, interval, window, owner = (
        period[order],
        wh[order],
        start[order],
        interval[order],
        window[order],
        owner[order],
    )
    running = np.cumsum(wh)
    new_group = np.ones(period.shape[0], dtype=bool)
    new_group[1:] = (
        (period[1:] != period[:-1]) | (window[1:] != window[:-1]) | (owner[1:] != owner[:-1])
    )
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


def tou_energy(
    intervals: IntervalArrays,
    tariff: TouTariff,
    period: BillingPeriod,
    *,
    batch: Int64Array | None = None,
) -> line_building.EnergyPricing:
    """Return the energy of `intervals` attributed to `tariff`'s periods and tiers.

    Each interval's period comes from its local start in the tariff's zone; an interval that
    crosses an hour start, local midnight or an offset change is split there in proportion to
    time (largest remainder, exact Wh). Tiers fill in time order per period within each local
    day or month, and apart for each `batch` number when given (one per interval: the
    channels of a chunk priced in one call). The intervals must lie inside `period` (checked
    by the caller).
    """
    table = offset_table(tariff.time_zone, start_utc=period.start_utc, end_utc=period.end_utc)
    keys = month_day_type_hour_keys(period, table, tariff.holidays)
    schedule = np.array([tariff.weekday_schedule, tariff.weekend_schedule], dtype=np.int64).reshape(
        -1
    )
    period_count = len(tariff.periods)
    tiered = any(tou_period.tiers for tou_period in tariff.periods)

    def period_of(local_s: Int64Array) -> Int64Array:
        if not tiered:
            return schedule[keys(local_s)]
        window = _tier_windows(local_s, tariff.tier_basis)
        return window * period_count + schedule[keys(local_s)]

    energy = attribute(intervals, table, period_of)
    tier_counts = _tier_counts(tariff)
    bucket_base = np.cumsum(tier_counts) - tier_counts
    if tiered:
        attribution = _attribute_tiers(energy, tariff, bucket_base, period_count, batch)
    else:
        attribution = Attribution(
            energy.interval, bucket_base[energy.key], energy.wh, energy.start_utc
        )
    bucket_period = np.repeat(np.arange(len(tariff.periods)), tier_counts)

    def describe(bucket: int) -> list[LinePart]:
        number = int(bucket_period[bucket])
        tou_period = tariff.periods[number]
        if not tou_period.tiers:
            return [(tou_period.label, "export", tou_period.export_price)]
        tier_number = bucket - int(bucket_base[number])
        tier = tou_period.tiers[tier_number]
        return [(f"{tou_period.label} tier {tier_number + 1}", "export", tier.price)]

    return line_building.EnergyPricing(
        attribution=attribution, bucket_count=int(tier_counts.sum()), describe=describe
    )


def price_tou(
    intervals: IntervalArrays,
    tariff: TouTariff,
    *,
    period_start_utc: datetime,
    period_end_utc: datetime,
) -> RatingResult:
    """Return the priced lines of `intervals` under `tariff` for the billing period.

    Energy as in `tou_energy`: one line per period (per tier when tiered) in period order,
    then one per fixed item, then a minimum/maximum bound line if needed. Raises
    `RatingInputError` when an interval is not inside `[period_start_utc, period_end_utc)` or
    the inputs are invalid.
    """
    period = BillingPeriod.from_datetimes(start=period_start_utc, end=period_end_utc)
    period.check_contains(intervals)
    return line_building.rating_result(
        tou_energy(intervals, tariff, period), tariff=tariff, period=period
    )
