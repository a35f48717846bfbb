"""Reads of a reading's history: its current value and every earlier revision, with uploads.

A reading is named by its natural key (meter id, channel kind, start), which survives any
later change to how readings are stored; settlement's drill-down links to it by that key.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts import queries as account_queries
from accounts.models import User
from settlement.errors import NotFound
from settlement.metering.models import Reading, ReadingRevision, Upload


@dataclass(frozen=True)
class ReadingValue:
    """One value a reading has had: its revision, energy, quality and where it came from."""

    revision: int
    duration_s: int
    wh: int
    quality: str
    upload_id: int
    received_at: dt.datetime
    # For an earlier value: the upload that replaced it, and when; None for the current one.
    superseded_by_id: int | None
    superseded_at: dt.datetime | None


@dataclass(frozen=True)
class ReadingHistory:
    """A reading's current value and its earlier revisions, newest first."""

    meter_id: str
    kind: str
    start: dt.datetime
    timezone: str
    current: ReadingValue
    earlier: tuple[ReadingValue, ...]


def access_reading(*, user: User, meter_id: str, kind: str, start: dt.datetime) -> Reading:
    """Return the reading of (meter, kind, start) for staff.

    Raises NotFound when there is none, or when `user` is not staff (whether it exists is
    not revealed).
    """
    reading = None
    if account_queries.is_staff_user(user=user):
        reading = (
            Reading.objects.select_related("channel__site")
            .filter(channel__meter_id=meter_id, channel__kind=kind, start=start)
            .first()
        )
    if reading is None:
        raise NotFound(f"no reading of {meter_id}/{kind} starting {start.isoformat()}")
    return reading


def history(*, reading: Reading) -> ReadingHistory:
    """Return the reading's current value and every superseded one, newest first."""
    current = ReadingValue(
        revision=reading.revision,
        duration_s=reading.duration_s,
        wh=reading.wh,
        quality=reading.quality,
        upload_id=reading.upload_id,
        received_at=reading.received_at,
        superseded_by_id=None,
        superseded_at=None,
    )
    earlier = tuple(
        ReadingValue(
            revision=old.revision,
            duration_s=old.duration_s,
            wh=old.wh,
            quality=old.quality,
            upload_id=old.upload_id,
            received_at=old.received_at,
            superseded_by_id=old.superseded_by_id,
            superseded_at=old.superseded_at,
        )
        for old in reading.revisions.order_by("-revision")
    )
    return ReadingHistory(
        meter_id=reading.channel.meter_id,
        kind=reading.channel.kind,
        start=reading.start,
        timezone=reading.channel.site.timezone,
        current=current,
        earlier=earlier,
    )


def revised_by(*, upload: Upload) -> QuerySet[ReadingRevision]:
    """Return the earlier values `upload` replaced, in channel and time order."""
    return (
        ReadingRevision.objects.filter(superseded_by=upload)
        .select_related("reading__channel__site")
        .order_by("reading__channel__meter_id", "reading__channel__kind", "reading__start")
    )
