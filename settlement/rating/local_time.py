"""Exact, vectorized conversion of UTC instants to local calendar fields in an IANA zone."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import Int64Array

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600
# The zone's offset is sampled on this grid and every change found is bisected to the second.
# Two changes that cancel each other within 6 hours would be missed; no IANA zone has them.
_SAMPLE_STEP_S = 6 * SECONDS_PER_HOUR
# Pieces of an interval may start just before its first or end just after its last instant.
_MARGIN_S = 2 * SECONDS_PER_DAY
_FAR_PAST = np.iinfo(np.int64).min
_FAR_FUTURE = np.iinfo(np.int64).max
# Distinct (zone, span) tables kept: a settlement run or a benchmark asks for a handful.
_CACHED_TABLES = 256


def zone_info(name: str) -> ZoneInfo:
    """Return the IANA zone `name`; raises `RatingInputError` if it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RatingInputError(f"time zone {name!r}: not a known IANA zone") from error


def offset_seconds(zone: ZoneInfo, utc: int) -> int:
    """Return the UTC offset of `zone` at epoch second `utc`, in whole seconds."""
    offset = datetime.fromtimestamp(utc, tz=zone).utcoffset()
    if offset is None:
        raise RatingInputError(f"time zone {zone.key!r}: no UTC offset at {utc}")
    return offset // timedelta(seconds=1)


@dataclass(frozen=True, eq=False)
class OffsetTable:
    """A zone's UTC offsets over a span: `offsets_s[i]` holds from `starts_utc[i]` on.

    `starts_utc[0]` is the far past, so every instant has an offset; outside the span the table
    was built for, the first and last offsets are extended.
    """

    zone: str
    starts_utc: Int64Array
    offsets_s: Int64Array

    def segment_of(self, utc: Int64Array) -> Int64Array:
        """Return, for each instant, the index of the offset segment it falls in."""
        return np.searchsorted(self.starts_utc, utc, side="right").astype(np.int64) - 1

    def next_change(self, segment: Int64Array) -> Int64Array:
        """Return the instant each segment ends (the far future for the last one)."""
        ends = np.append(self.starts_utc[1:], np.int64(_FAR_FUTURE))
        return ends[segment]

    def local_seconds(self, utc: Int64Array) -> Int64Array:
        """Return wall-clock seconds since local 1970-01-01 00:00 for each UTC instant."""
        return utc + self.offsets_s[self.segment_of(utc)]


def utc_offset_table() -> OffsetTable:
    """Return the table of UTC itself (offset 0 forever), for keys that live in UTC hours."""
    return OffsetTable(
        zone="UTC",
        # NumPy makes int64 arrays of an int64 and of a Python integer.
        starts_utc=np.array([_FAR_PAST]),
        offsets_s=np.array([0]),
    )


def offset_table(zone: str, *, start_utc: int, end_utc: int) -> OffsetTable:
    """Return the offsets of `zone` from `start_utc` to `end_utc` (two days of margin each side).

    Samples the zone every 6 hours and bisects each change to the exact second, so the cost is
    proportional to the span, never to the number of intervals. Tables are cached per zone and
    span (their arrays are read-only): building one takes some 1,500 zoneinfo calls a year,
    most of a small pricing call's cost, and every channel of a period asks for the same one.
    """
    return _cached_offset_table(zone, int(start_utc), int(end_utc))


def _build_offset_table(zone: str, start_utc: int, end_utc: int) -> OffsetTable:
    info = zone_info(zone)
    low = start_utc - _MARGIN_S
    high = end_utc + _MARGIN_S
    starts = [int(_FAR_PAST)]
    offsets = [offset_seconds(info, low)]
    cursor = low
    while cursor < high:
        step_end = min(cursor + _SAMPLE_STEP_S, high)
        if offset_seconds(info, step_end) == offsets[-1]:
            cursor = step_end
            continue
        # Invariant: offset(before) is the current one, offset(after) differs.
        before, after = cursor, step_end
        while after - before > 1:
            middle = (before + after) // 2
            if offset_seconds(info, middle) == offsets[-1]:
                before = middle
            else:
                after = middle
        starts.append(after)
        offsets.append(offset_seconds(info, after))
        cursor = after
    return OffsetTable(zone=zone, starts_utc=_frozen(starts), offsets_s=_frozen(offsets))


# Wrapped rather than decorated: mutmut leaves decorated functions unmutated, and this is the
# code that finds every offset change.
_cached_offset_table = lru_cache(maxsize=_CACHED_TABLES)(_build_offset_table)


def clear_offset_tables() -> None:
    """Forget every cached offset table (the benchmarks time a call that builds its own)."""
    _cached_offset_table.cache_clear()


def _frozen(values: list[int]) -> Int64Array:
    # A cached table is shared by every caller: nobody may write into it.
    array = np.array(values, dtype=np.int64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class DayTable:
    """Calendar fields of every local day from `first_day` (days since 1970-01-01) on."""

    first_day: int
    year: Int64Array
    month: Int64Array
    day: Int64Array
    weekday: Int64Array

    def index(self, epoch_day: Int64Array) -> Int64Array:
        """Return each day's row in this table."""
        return epoch_day - self.first_day


def day_table(first_day: int, last_day: int) -> DayTable:
    """Return the calendar fields of the days `first_day..last_day` (inclusive)."""
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    as_dates = days.astype("datetime64[D]")
    month_starts = as_dates.astype("datetime64[M]")
    months_since_1970 = month_starts.astype(np.int64)
    return DayTable(
        first_day=first_day,
        year=months_since_1970 // 12 + 1970,
        month=months_since_1970 % 12 + 1,
        day=(as_dates - month_starts.astype("datetime64[D]")).astype(np.int64) + 1,
        # 1970-01-01 was a Thursday; Monday is 0.
        weekday=(days + 3) % 7,
    )


@dataclass(frozen=True, eq=False)
class LocalFields:
    """Local calendar fields of instants: year, month 1-12, day, hour 0-23, weekday Mon=0."""

    local_s: Int64Array
    epoch_day: Int64Array
    year: Int64Array
    month: Int64Array
    day: Int64Array
    hour: Int64Array
    weekday: Int64Array

    @property
    def ordinal(self) -> Int64Array:
        """Return the local date as a proleptic Gregorian ordinal (`date.toordinal()`)."""
        return self.epoch_day + EPOCH_ORDINAL


def local_fields(utc: Int64Array, table: OffsetTable) -> LocalFields:
    """Return the local calendar fields of each UTC instant, using the zone's offset table."""
    local_s = table.local_seconds(utc)
    epoch_day = local_s // SECONDS_PER_DAY
    hour = (local_s - epoch_day * SECONDS_PER_DAY) // SECONDS_PER_HOUR
    if utc.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return LocalFields(local_s, epoch_day, empty, empty, empty, hour, empty)
    days = day_table(int(epoch_day.min()), int(epoch_day.max()))
    row = days.index(epoch_day)
    return LocalFields(
        local_s=local_s,
        epoch_day=epoch_day,
        year=days.year[row],
        month=days.month[row],
        day=days.day[row],
        hour=hour,
        weekday=days.weekday[row],
    )


def to_local(utc: Int64Array, zone: str) -> LocalFields:
    """Return the local calendar fields of each UTC instant (epoch seconds) in IANA `zone`."""
    if utc.shape[0] == 0:
        table = offset_table(zone, start_utc=0, end_utc=0)
    else:
        table = offset_table(zone, start_utc=int(utc.min()), end_utc=int(utc.max()))
    return local_fields(utc, table)


def local_datetime(utc: int, zone: str) -> datetime:
    """Return the aware local datetime of epoch second `utc` in `zone`."""
    return datetime.fromtimestamp(utc, tz=zone_info(zone))


def epoch_seconds(moment: datetime) -> int:
    """Return an aware datetime as whole epoch seconds; raises `RatingInputError` if naive."""
    if moment.utcoffset() is None:  # naive, or a tzinfo that knows no offset
        raise RatingInputError(f"{moment.isoformat()}: must be timezone-aware")
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
