"""Store accepted readings portably (any database): new, duplicate, or a new revision."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.db.models import Q

from settlement.metering import locks
from settlement.metering.models import Reading, ReadingRevision, Upload
from settlement.metering.vee import Accepted

CHUNK = 2000

_INSERT_READING = (
    f"INSERT INTO {Reading._meta.db_table} "  # noqa: S608 (names from the model, values bound)
    "(channel_id, start, duration_s, wh, quality, source, revision, upload_id, received_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


@dataclass(frozen=True)
class Refusal:
    """A reading refused because a more trusted source already reported its interval."""

    channel_id: int
    location: str
    wh: int
    # The source of the stored value the reading may not replace.
    held_by: str
    # The interval's start (aware UTC).
    start: datetime


@dataclass
class StoreCounts:
    """What storing an upload's accepted readings did."""

    accepted: int = 0
    duplicates: int = 0
    revised: int = 0
    estimated: int = 0
    refused: list[Refusal] = field(default_factory=list)


# Channel id -> the sources ranked above the upload's own (channels absent: none).
Outranked = Mapping[int, tuple[str, ...]]
# Writes the upload's final state inside the transaction that commits its readings.
Seal = Callable[[StoreCounts], None]


class Store(Protocol):
    """Where accepted readings go; `finish` makes them current and returns the counts."""

    # Whether the caller must hold one transaction around parsing and storing.
    needs_outer_transaction: bool

    def add(self, accepted: Accepted) -> None: ...

    def finish(self, *, seal: Seal) -> StoreCounts: ...

    def close(self) -> None: ...


class PortableStore:
    """Write readings with the ORM in chunks, inside the caller's transaction."""

    needs_outer_transaction = True

    def __init__(self, *, upload: Upload, now: datetime, outranked: Outranked) -> None:
        self._upload = upload
        self._now = now
        self._outranked = outranked
        self._pending: list[Accepted] = []
        self._counts = StoreCounts()
        self._locked: set[int] = set()

    def add(self, accepted: Accepted) -> None:
        """Queue one reading; a full chunk is written at once."""
        self._pending.append(accepted)
        if len(self._pending) >= CHUNK:
            self._flush()

    def finish(self, *, seal: Seal) -> StoreCounts:
        """Write what is queued, seal the upload and return the counts.

        The caller's transaction (SQLite: one writer at a time) holds the channels.
        """
        self._flush()
        seal(self._counts)
        return self._counts

    def close(self) -> None:
        """Drop anything queued (the caller's transaction is rolled back)."""
        self._pending = []

    def _flush(self) -> None:
        if not self._pending:
            return
        chunk, self._pending = self._pending, []
        if connection.vendor == "postgresql":
            # As the COPY store does (store_postgres._merge); SQLite has one writer at a time.
            channels = {item.channel_id for item in chunk} - self._locked
            with connection.cursor() as cursor:
                locks.lock_channels(cursor, channels)
            self._locked |= channels
        existing = self._existing(chunk)
        new: list[Accepted] = []
        changed: list[Reading] = []
        superseded: list[ReadingRevision] = []
        for item in chunk:
            stored = existing.get((item.channel_id, item.start))
            if stored is None:
                new.append(item)
                if item.estimated:
                    self._counts.estimated += 1
                else:
                    self._counts.accepted += 1
                continue
            if item.estimated:
                continue  # a stored value always beats an estimate
            if (stored.wh, stored.quality, stored.duration_s) == (
                item.wh,
                item.quality,
                item.duration_s,
            ):
                self._counts.duplicates += 1
                continue
            if stored.source in self._outranked.get(item.channel_id, ()):
                self._counts.refused.append(
                    Refusal(item.channel_id, item.location, item.wh, stored.source, item.start)
                )
                continue
            superseded.append(
                ReadingRevision(
                    reading=stored,
                    revision=stored.revision,
                    duration_s=stored.duration_s,
                    wh=stored.wh,
                    quality=stored.quality,
                    source=stored.source,
                    upload_id=stored.upload_id,
                    received_at=stored.received_at,
                    superseded_by=self._upload,
                    superseded_at=self._now,
                )
            )
            stored.wh, stored.quality, stored.duration_s = item.wh, item.quality, item.duration_s
            stored.revision += 1
            stored.upload = self._upload
            stored.source = self._upload.source
            stored.received_at = self._now
            changed.append(stored)
            self._counts.revised += 1
        self._insert(new)
        ReadingRevision.objects.bulk_create(superseded)
        Reading.objects.bulk_update(
            changed, ["wh", "quality", "duration_s", "revision", "upload", "source", "received_at"]
        )

    def _existing(self, chunk: list[Accepted]) -> dict[tuple[int, datetime], Reading]:
        by_channel: dict[int, list[datetime]] = {}
        for item in chunk:
            by_channel.setdefault(item.channel_id, []).append(item.start)
        condition = Q()
        for channel_id, starts in by_channel.items():
            condition |= Q(channel_id=channel_id, start__in=starts)
        return {
            (reading.channel_id, reading.start): reading
            for reading in Reading.objects.filter(condition)
        }

    def _insert(self, items: list[Accepted]) -> None:
        """Insert new readings with one parameterised statement.

        The ORM's bulk_create builds a model and compiles every field of every row: for the
        demo's 29,000 readings that was most of `seed_demo`'s time on SQLite. The rows are
        the same; the database's constraints still check each one.
        """
        if not items:
            return
        ops = connection.ops
        received_at = ops.adapt_datetimefield_value(self._now)
        source, upload_id = self._upload.source, self._upload.pk
        rows = [
            (
                item.channel_id,
                ops.adapt_datetimefield_value(item.start),
                item.duration_s,
                item.wh,
                str(item.quality),
                source,
                1,
                upload_id,
                received_at,
            )
            for item in items
        ]
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT_READING, rows)
