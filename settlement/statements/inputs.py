"""What a settlement reads: enrollments, channels and readings of a chunk, loaded at once.

Readings come with their natural key (channel, start, revision) and quality, so lines can
name the exact readings behind them. One query per chunk, not per participant.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Q

from accounts.models import Channel, Enrollment, Program
from settlement.metering.models import Reading
from settlement.rating.intervals import Int64Array, IntervalArrays
from settlement.rating.local_time import epoch_seconds
from settlement.statements.periods import Period

# Quality codes as small integers in arrays (index into this tuple).
QUALITIES = ("ACTUAL", "ESTIMATED", "EDITED", "DERIVED", "FORECAST", "SUSPECT", "MISSING")
QUALITY_CODE = {name: code for code, name in enumerate(QUALITIES)}


@dataclass(frozen=True, eq=False)
class ChannelData:
    """One channel's readings in the period, in start order, as parallel arrays."""

    channel_id: int
    label: str
    start_utc: Int64Array
    duration_s: Int64Array
    wh: Int64Array
    revision: Int64Array
    quality: Int64Array
    # True where the value came from the owner's own upload (the lowest precedence).
    self_reported: npt.NDArray[np.bool_]

    def take(self, indices: Int64Array) -> IntervalArrays:
        """Return the readings at `indices` as rating arrays."""
        return IntervalArrays(
            start_utc=self.start_utc[indices],
            duration_s=self.duration_s[indices],
            wh=self.wh[indices],
        )


@dataclass(frozen=True)
class SiteEnrollment:
    """A participant's site in the program, with the local dates it is enrolled in the period."""

    enrollment_id: int
    site_id: int
    site_label: str
    site_time_zone: str
    start: date
    end: date


def enrollments_in_period(
    *, program: Program, period: Period, participant_ids: list[int] | None = None
) -> dict[int, list[SiteEnrollment]]:
    """Return the active enrollments overlapping the period, by participant id."""
    enrollments = Enrollment.objects.filter(
        program=program, status=Enrollment.Status.ACTIVE, starts_on__lt=period.end
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=period.start))
    if participant_ids is not None:
        enrollments = enrollments.filter(participant_id__in=participant_ids)
    found: dict[int, list[SiteEnrollment]] = defaultdict(list)
    for enrollment in enrollments.select_related("site").order_by("participant_id", "site_id"):
        found[enrollment.participant_id].append(
            SiteEnrollment(
                enrollment_id=enrollment.pk,
                site_id=enrollment.site_id,
                site_label=enrollment.site.account_number,
                site_time_zone=enrollment.site.timezone,
                start=max(enrollment.starts_on, period.start),
                end=min(enrollment.ends_on or period.end, period.end),
            )
        )
    return dict(found)


def participants_in_period(*, program: Program, period: Period) -> list[int]:
    """Return the ids of participants with an active enrollment in the period, in order."""
    return sorted(enrollments_in_period(program=program, period=period))


def channels_of_sites(*, site_ids: list[int], kind: str) -> dict[int, list[Channel]]:
    """Return the channels of `kind` at each site, by site id, in meter order."""
    found: dict[int, list[Channel]] = defaultdict(list)
    for channel in Channel.objects.filter(site_id__in=site_ids, kind=kind).order_by(
        "meter_id", "pk"
    ):
        found[channel.site_id].append(channel)
    return dict(found)


_POSTGRES_READINGS = """
    SELECT channel_id,
           array_agg(EXTRACT(EPOCH FROM start)::bigint),
           array_agg(duration_s),
           array_agg(wh),
           array_agg(revision),
           array_agg(array_position(%(qualities)s::text[], quality::text) - 1),
           array_agg(source = 'OWNER')
    FROM metering_reading
    WHERE channel_id = ANY(%(channels)s) AND start >= %(start)s AND start < %(end)s
    GROUP BY channel_id
"""


def _rows_postgres(channel_ids: list[int], period: Period) -> dict[int, tuple[list[int], ...]]:
    # One row per channel with its readings as arrays: the database does the per-reading
    # work (epoch seconds, quality codes), and psycopg hands over whole arrays. They are put
    # in start order here (a sort inside each aggregate costs the database more).
    with connection.cursor() as cursor:
        cursor.execute(
            _POSTGRES_READINGS,
            {
                "qualities": list(QUALITIES),
                "channels": channel_ids,
                "start": period.start_utc,
                "end": period.end_utc,
            },
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def _rows_portable(channel_ids: list[int], period: Period) -> dict[int, tuple[list[int], ...]]:
    columns: dict[int, tuple[list[int], ...]] = {}
    for channel_id, start, duration, wh, revision, quality, source in (
        Reading.objects.filter(
            channel_id__in=channel_ids, start__gte=period.start_utc, start__lt=period.end_utc
        )
        .order_by("channel_id", "start")
        .values_list("channel_id", "start", "duration_s", "wh", "revision", "quality", "source")
    ):
        found = columns.setdefault(channel_id, ([], [], [], [], [], []))
        found[0].append(epoch_seconds(start))
        found[1].append(duration)
        found[2].append(wh)
        found[3].append(revision)
        found[4].append(QUALITY_CODE[quality])
        found[5].append(int(source == "OWNER"))
    return columns


def readings_of_channels(*, channels: list[Channel], period: Period) -> dict[int, ChannelData]:
    """Return each channel's current readings starting inside the period, by channel id.

    On PostgreSQL one aggregate query per chunk; elsewhere the ORM. Both give the same arrays.
    """
    channel_ids = [channel.pk for channel in channels]
    if connection.vendor == "postgresql":
        rows = _rows_postgres(channel_ids, period)
    else:
        rows = _rows_portable(channel_ids, period)
    empty: tuple[list[int], ...] = ([], [], [], [], [], [])
    found = {}
    for channel in channels:
        starts, durations, wh, revisions, qualities, own = rows.get(channel.pk, empty)
        start_utc = np.array(starts, dtype=np.int64)
        order = np.argsort(start_utc, kind="stable")
        found[channel.pk] = ChannelData(
            channel_id=channel.pk,
            label=f"{channel.meter_id}/{channel.kind}",
            start_utc=start_utc[order],
            duration_s=np.array(durations, dtype=np.int64)[order],
            wh=np.array(wh, dtype=np.int64)[order],
            revision=np.array(revisions, dtype=np.int64)[order],
            quality=np.array(qualities, dtype=np.int64)[order],
            self_reported=np.array(own, dtype=bool)[order],
        )
    return found
