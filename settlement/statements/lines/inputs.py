"""What a settlement reads: enrollments, channels and readings of a chunk, loaded at once.

Readings come with their natural key (channel, start, revision) and quality, so lines can
name the exact readings behind them. One query per chunk, not per participant.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from django.db import connection
from django.db.models import Q
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

from accounts.models import Channel, Enrollment, Program
from settlement.metering.formats import quality as quality_codes
from settlement.metering.models import Reading
from settlement.rating.intervals import MAX_DURATION_S, Int64Array, IntervalArrays
from settlement.rating.local_time import epoch_seconds
from settlement.statements.periods import Period

# Quality codes as small integers in arrays (index into this tuple).
QUALITIES = tuple(code.value for code in quality_codes.Quality)
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


# A reading that starts before the period and reaches into it belongs to the period too (its
# share is priced there). A channel's readings do not overlap (ingestion refuses overlaps), so
# only its last reading starting before the period can reach in: one index probe per channel
# finds it, where reading every row of the 31 days a reading may last would double a chunk's
# read. None is longer than the rating core accepts, which bounds the probe.
_LONGEST_READING = timedelta(seconds=MAX_DURATION_S)

_POSTGRES_READINGS = """
    WITH wanted AS (
        SELECT channel_id, start, duration_s, wh, revision, quality, source
        FROM metering_reading
        WHERE channel_id = ANY(%(channels)s) AND start >= %(start)s AND start < %(end)s
        UNION ALL
        SELECT before.channel_id, before.start, before.duration_s, before.wh, before.revision,
               before.quality, before.source
        FROM unnest(%(channels)s::bigint[]) AS channel(id)
        CROSS JOIN LATERAL (
            SELECT * FROM metering_reading
            WHERE channel_id = channel.id AND start < %(start)s AND start >= %(earliest)s
            ORDER BY start DESC
            LIMIT 1
        ) AS before
        WHERE before.start + before.duration_s * interval '1 second' > %(start)s
    )
    SELECT channel_id,
           array_agg(EXTRACT(EPOCH FROM start)::bigint),
           array_agg(duration_s::bigint),
           array_agg(wh),
           array_agg(revision::bigint),
           array_agg((array_position(%(qualities)s::text[], quality::text) - 1)::bigint),
           array_agg((source = 'OWNER')::int::bigint)
    FROM wanted
    GROUP BY channel_id
"""
# A binary bigint[] is a header (dimensions, null flag, element type, then size and lower
# bound per dimension) and, per element, its length (always 8) and big-endian value.
_INT8_ARRAY_OID = 1016
_ARRAY_ELEMENT = np.dtype([("length", ">i4"), ("value", ">i8")])


class _Int8ArrayLoader(Loader):
    """Reads a binary bigint[] straight into a NumPy array, no Python int per element."""

    format = Format.BINARY

    def load(self, data: Buffer) -> Int64Array:
        header = bytes(data[:12])
        dimensions = int.from_bytes(header[0:4], "big")
        if dimensions == 0:
            return np.zeros(0, dtype=np.int64)
        if dimensions != 1 or int.from_bytes(header[4:8], "big") != 0:
            raise ValueError("a reading aggregate is not a one-dimensional array without NULLs")
        elements = np.frombuffer(data, dtype=_ARRAY_ELEMENT, offset=12 + 8 * dimensions)
        return elements["value"].astype(np.int64)


def _rows_postgres(channel_ids: list[int], period: Period) -> dict[int, tuple[Int64Array, ...]]:
    # One row per channel with its readings as arrays: the database does the per-reading
    # work (epoch seconds, quality codes) and sends the arrays in binary, which NumPy reads
    # whole (Django's cursors bind parameters on the client, which allows no binary results,
    # so this one query uses a server-binding cursor on the same connection and transaction).
    # The caller puts them in start order (a sort inside each aggregate costs the database
    # more).
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.adapters.register_loader(_INT8_ARRAY_OID, _Int8ArrayLoader)
        cursor.execute(
            _POSTGRES_READINGS,
            {
                "qualities": list(QUALITIES),
                "channels": channel_ids,
                "earliest": period.start_utc - _LONGEST_READING,
                "start": period.start_utc,
                "end": period.end_utc,
            },
            binary=True,
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def _rows_portable(channel_ids: list[int], period: Period) -> dict[int, tuple[Int64Array, ...]]:
    columns: dict[int, tuple[list[int], ...]] = {}
    # Each channel's last reading starting before the period, when it reaches in (as the
    # PostgreSQL query takes it), then the readings starting inside.
    fields = ("channel_id", "start", "duration_s", "wh", "revision", "quality", "source")
    rows: list[tuple[Any, ...]] = []
    # One indexed lookup per channel: the portable store serves development data only.
    for channel_id in channel_ids:
        last = (
            Reading.objects.filter(
                channel_id=channel_id,
                start__lt=period.start_utc,
                start__gte=period.start_utc - _LONGEST_READING,
            )
            .order_by("-start")
            .values_list(*fields)
            .first()
        )
        if last is not None and last[1] + timedelta(seconds=last[2]) > period.start_utc:
            rows.append(last)
    rows += list(
        Reading.objects.filter(
            channel_id__in=channel_ids, start__gte=period.start_utc, start__lt=period.end_utc
        ).values_list(*fields)
    )
    for channel_id, start, duration, wh, revision, quality, source in sorted(
        rows, key=lambda row: (row[0], row[1])
    ):
        found = columns.setdefault(channel_id, ([], [], [], [], [], []))
        found[0].append(epoch_seconds(start))
        found[1].append(duration)
        found[2].append(wh)
        found[3].append(revision)
        found[4].append(QUALITY_CODE[quality])
        found[5].append(int(source == "OWNER"))
    return {
        channel_id: tuple(np.array(values, dtype=np.int64) for values in found)
        for channel_id, found in columns.items()
    }


def readings_of_channels(*, channels: list[Channel], period: Period) -> dict[int, ChannelData]:
    """Return each channel's current readings overlapping the period, by channel id.

    A reading that crosses an edge of the period is returned whole: pricing shares it by
    time (`settlement.rating.billing_period.BillingPeriod.shares_inside`).

    On PostgreSQL one aggregate query per chunk, its arrays read in binary; elsewhere the ORM.
    Both give the same arrays.
    """
    channel_ids = [channel.pk for channel in channels]
    if connection.vendor == "postgresql":
        rows = _rows_postgres(channel_ids, period)
    else:
        rows = _rows_portable(channel_ids, period)
    empty = tuple(np.zeros(0, dtype=np.int64) for _ in range(6))
    found = {}
    for channel in channels:
        starts, durations, wh, revisions, qualities, own = rows.get(channel.pk, empty)
        order = np.argsort(starts, kind="stable")
        found[channel.pk] = ChannelData(
            channel_id=channel.pk,
            label=f"{channel.meter_id}/{channel.kind}",
            start_utc=starts[order],
            duration_s=durations[order],
            wh=wh[order],
            revision=revisions[order],
            quality=qualities[order],
            self_reported=own[order].astype(bool),
        )
    return found
