"""Reads statements need from metering: a channel's current readings as rating arrays."""

from datetime import datetime, timedelta

import numpy as np

from accounts.models import Channel
from settlement.errors import DomainError
from settlement.metering.models import Reading
from settlement.rating.intervals import IntervalArrays

# No interval is longer than a day, so one day back finds every reading reaching in.
_LONGEST_INTERVAL = timedelta(days=1)


class ReadingCrossesBoundary(DomainError):
    """A reading straddles the edge of the period asked for, so it belongs to neither side."""

    code = "reading_crosses_boundary"


def current_intervals(
    *, channel: Channel, start_utc: datetime, end_utc: datetime
) -> IntervalArrays:
    """Return the channel's current readings in `[start_utc, end_utc)` as int64 arrays.

    Readings are the latest revision of each interval. Raises ReadingCrossesBoundary when
    a reading starts before `start_utc` and ends after it, or starts inside and ends after
    `end_utc` (pricing it on one side would misplace its energy).
    """
    rows = list(
        Reading.objects.filter(
            channel=channel, start__gte=start_utc - _LONGEST_INTERVAL, start__lt=end_utc
        )
        .order_by("start")
        .values_list("start", "duration_s", "wh")
    )
    first = int(start_utc.timestamp())
    last = int(end_utc.timestamp())
    starts = np.array([int(start.timestamp()) for start, _, _ in rows], dtype=np.int64)
    durations = np.array([duration for _, duration, _ in rows], dtype=np.int64)
    wh = np.array([energy for _, _, energy in rows], dtype=np.int64)
    ends = starts + durations
    crossing = ((starts < first) & (ends > first)) | ((starts < last) & (ends > last))
    if bool(crossing.any()):
        start, duration, _ = rows[int(crossing.argmax())]
        raise ReadingCrossesBoundary(
            f"the reading of {channel} at {start.isoformat()} ({duration} s) crosses the "
            f"edge of [{start_utc.isoformat()}, {end_utc.isoformat()})",
            details={"field": "start", "reading_start": start.isoformat()},
        )
    inside = starts >= first
    return IntervalArrays(start_utc=starts[inside], duration_s=durations[inside], wh=wh[inside])
