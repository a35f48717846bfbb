"""Attribution of each interval's Wh to price keys, splitting at hour boundaries exactly."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from settlement.rating.intervals import Int64Array, IntervalArrays
from settlement.rating.local_time import SECONDS_PER_HOUR, OffsetTable

# Maps wall-clock seconds (in the clock of the offset table) to an int64 price key each.
KeyFunction = Callable[[Int64Array], Int64Array]


@dataclass(frozen=True, eq=False)
class KeyedEnergy:
    """Rows of (interval index, price key, Wh, UTC start of the first part priced there)."""

    interval: Int64Array
    key: Int64Array
    wh: Int64Array
    start_utc: Int64Array


def _cut_points(start: Int64Array, table: OffsetTable) -> Int64Array:
    # The next instant the hour label can change: the next wall-clock hour start, or an offset
    # change of the zone (which can happen mid-hour in zones with 30- or 45-minute offsets).
    segment = table.segment_of(start)
    local = start + table.offsets_s[segment]
    next_hour = start + (SECONDS_PER_HOUR - local % SECONDS_PER_HOUR)
    return np.minimum(next_hour, table.next_change(segment))


def _pieces(
    interval: Int64Array, start: Int64Array, end: Int64Array, table: OffsetTable
) -> tuple[Int64Array, Int64Array, Int64Array]:
    # One round per hour crossed: each round cuts the first piece off every interval still
    # open, so the work is vectorized across intervals and the loop runs per hour, not per row.
    interval_parts, start_parts, duration_parts = [], [], []
    while interval.shape[0]:
        piece_end = np.minimum(_cut_points(start, table), end)
        interval_parts.append(interval)
        start_parts.append(start)
        duration_parts.append(piece_end - start)
        remaining = piece_end < end
        interval, start, end = interval[remaining], piece_end[remaining], end[remaining]
    return (
        np.concatenate(interval_parts),
        np.concatenate(start_parts),
        np.concatenate(duration_parts),
    )


def _largest_remainder(
    intervals: IntervalArrays,
    interval: Int64Array,
    key: Int64Array,
    start: Int64Array,
    duration: Int64Array,
) -> KeyedEnergy:
    # Gather the parts of each interval by key: time in a key is what its share rests on.
    order = np.lexsort((start, key, interval))
    interval, key, start, duration = interval[order], key[order], start[order], duration[order]
    new_group = np.ones(interval.shape[0], dtype=bool)
    new_group[1:] = (interval[1:] != interval[:-1]) | (key[1:] != key[:-1])
    group_first = np.flatnonzero(new_group)
    group_interval = interval[group_first]
    group_key = key[group_first]
    group_start = start[group_first]
    group_seconds = np.add.reduceat(duration, group_first)

    # Exact share = wh * seconds / duration; floor it, then hand the Wh left over (fewer than
    # the number of groups) one each to the groups with the largest remainders, earliest first.
    total_wh = intervals.wh[group_interval]
    total_seconds = intervals.duration_s[group_interval]
    numerator = total_wh * group_seconds
    share = numerator // total_seconds
    remainder = numerator % total_seconds
    floors_per_interval = np.zeros(len(intervals), dtype=np.int64)
    np.add.at(floors_per_interval, group_interval, share)
    left_over = intervals.wh - floors_per_interval

    by_remainder = np.lexsort((group_start, -remainder, group_interval))
    ranked_interval = group_interval[by_remainder]
    first_of_interval = np.ones(ranked_interval.shape[0], dtype=bool)
    first_of_interval[1:] = ranked_interval[1:] != ranked_interval[:-1]
    rank_start = np.maximum.accumulate(
        np.where(first_of_interval, np.arange(ranked_interval.shape[0]), 0)
    )
    rank = np.arange(ranked_interval.shape[0]) - rank_start
    bonus = np.zeros(group_first.shape[0], dtype=np.int64)
    bonus[by_remainder] = (rank < left_over[ranked_interval]).astype(np.int64)
    return KeyedEnergy(
        interval=group_interval, key=group_key, wh=share + bonus, start_utc=group_start
    )


def attribute(intervals: IntervalArrays, table: OffsetTable, key_of: KeyFunction) -> KeyedEnergy:
    """Return each interval's Wh by price key, keyed by the wall clock of `table`.

    An interval inside one wall-clock hour is priced whole at its start. An interval that
    crosses an hour start (or an offset change) is cut there, each part keyed at its own start,
    parts with the same key summed by time, and its Wh shared in proportion to time with the
    largest-remainder method, so each row is an integer and the interval's Wh is kept exactly.
    Rows come whole intervals first (by index), then the split ones by (interval, key).
    """
    start = intervals.start_utc
    end = intervals.end_utc
    local = table.local_seconds(start)
    whole = end <= _cut_points(start, table)
    if bool(whole.all()):
        return KeyedEnergy(
            interval=np.arange(len(intervals), dtype=np.int64),
            key=key_of(local),
            wh=intervals.wh,
            start_utc=start,
        )
    whole_index = np.flatnonzero(whole).astype(np.int64)
    split_index = np.flatnonzero(~whole).astype(np.int64)
    piece_interval, piece_start, piece_duration = _pieces(
        split_index, start[split_index], end[split_index], table
    )
    split = _largest_remainder(
        intervals,
        piece_interval,
        key_of(table.local_seconds(piece_start)),
        piece_start,
        piece_duration,
    )
    return KeyedEnergy(
        interval=np.concatenate((whole_index, split.interval)),
        key=np.concatenate((key_of(local[whole_index]), split.key)),
        wh=np.concatenate((intervals.wh[whole_index], split.wh)),
        start_utc=np.concatenate((start[whole_index], split.start_utc)),
    )
