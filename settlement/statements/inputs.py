"""What a settlement reads: enrollments, channels and readings of a chunk, loaded at once.

Readings come with their natural key (channel, start, revision) and quality, so lines can
name the exact readings behind them. One query per chunk, not per participant.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
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
    # True where the reading came from the owner's own upload (the lowest precedence).
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


def readings_of_channels(*, channels: list[Channel], period: Period) -> dict[int, ChannelData]:
    """Return each channel's current readings starting inside the period, by channel id."""
    rows = (
        Reading.objects.filter(
            channel_id__in=[channel.pk for channel in channels],
            start__gte=period.start_utc,
            start__lt=period.end_utc,
        )
        .order_by("channel_id", "start")
        .values_list(
            "channel_id", "start", "duration_s", "wh", "revision", "quality", "upload__site_id"
        )
    )
    by_channel: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_channel[row[0]].append(row)
    found = {}
    for channel in channels:
        kept = by_channel.get(channel.pk, [])
        found[channel.pk] = ChannelData(
            channel_id=channel.pk,
            label=f"{channel.meter_id}/{channel.kind}",
            start_utc=np.array([epoch_seconds(row[1]) for row in kept], dtype=np.int64),
            duration_s=np.array([row[2] for row in kept], dtype=np.int64),
            wh=np.array([row[3] for row in kept], dtype=np.int64),
            revision=np.array([row[4] for row in kept], dtype=np.int64),
            quality=np.array([QUALITY_CODE[row[5]] for row in kept], dtype=np.int64),
            self_reported=np.array([row[6] is not None for row in kept], dtype=bool),
        )
    return found
