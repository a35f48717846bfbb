"""Reads statements need from metering: a channel's current readings as rating arrays."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from accounts.models import Channel
from settlement.metering.models import Reading
from settlement.rating.intervals import MAX_DURATION_S, Int64Array, IntervalArrays
from settlement.rating.local_time import epoch_seconds

# No reading is longer than the rating core accepts (31 days: ingestion refuses longer
# ones), so that far back finds every reading reaching into the period.
_LONGEST_INTERVAL = timedelta(seconds=MAX_DURATION_S)


@dataclass(frozen=True, eq=False)
class ChannelReadings:
    """A channel's current readings, in start order, as parallel arrays.

    `intervals` feeds the rating core; `revision[i]` and `quality[i]` belong to interval `i`,
    so a priced line names the readings behind it by their natural key
    (channel, start, revision), which outlives any change to how readings are stored.
    """

    channel_id: int
    intervals: IntervalArrays
    revision: Int64Array
    quality: tuple[str, ...]

    def natural_key(self, index: int) -> tuple[int, int, int]:
        """Return (channel id, start in epoch seconds UTC, revision) of reading `index`."""
        return (
            self.channel_id,
            int(self.intervals.start_utc[index]),
            int(self.revision[index]),
        )


def current_readings(
    *, channel: Channel, start_utc: datetime, end_utc: datetime
) -> ChannelReadings:
    """Return the channel's current readings that overlap `[start_utc, end_utc)`.

    Readings are the latest revision of each interval, whole: one that reaches over an edge
    is returned as stored, and the rating core prices only its share inside the period.
    """
    rows = list(
        Reading.objects.filter(
            channel=channel, start__gte=start_utc - _LONGEST_INTERVAL, start__lt=end_utc
        )
        .order_by("start")
        .values_list("start", "duration_s", "wh", "revision", "quality")
    )
    first = epoch_seconds(start_utc)
    starts = np.array([epoch_seconds(row[0]) for row in rows], dtype=np.int64)
    durations = np.array([row[1] for row in rows], dtype=np.int64)
    overlapping = np.flatnonzero(starts + durations > first)
    kept = [rows[index] for index in overlapping.tolist()]
    return ChannelReadings(
        channel_id=channel.pk,
        intervals=IntervalArrays(
            start_utc=starts[overlapping],
            duration_s=durations[overlapping],
            wh=np.array([row[2] for row in kept], dtype=np.int64),
        ),
        revision=np.array([row[3] for row in kept], dtype=np.int64),
        quality=tuple(row[4] for row in kept),
    )
