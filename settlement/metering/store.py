"""Store accepted readings portably (any database): new, duplicate, or a new revision."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db.models import Q

from settlement.metering.models import Reading, ReadingRevision, Upload
from settlement.metering.vee import Accepted

CHUNK = 2000


@dataclass
class StoreCounts:
    """What storing an upload's accepted readings did."""

    accepted: int = 0
    duplicates: int = 0
    revised: int = 0
    estimated: int = 0


class Store(Protocol):
    """Where accepted readings go; `finish` makes them current and returns the counts."""

    # Whether the caller must hold one transaction around parsing and storing.
    needs_outer_transaction: bool

    def add(self, accepted: Accepted) -> None: ...

    def finish(self) -> StoreCounts: ...

    def close(self) -> None: ...


class PortableStore:
    """Write readings with the ORM in chunks, inside the caller's transaction."""

    needs_outer_transaction = True

    def __init__(self, *, upload: Upload, now: datetime) -> None:
        self._upload = upload
        self._now = now
        self._pending: list[Accepted] = []
        self._counts = StoreCounts()

    def add(self, accepted: Accepted) -> None:
        """Queue one reading; a full chunk is written at once."""
        self._pending.append(accepted)
        if len(self._pending) >= CHUNK:
            self._flush()

    def finish(self) -> StoreCounts:
        """Write what is queued and return the counts."""
        self._flush()
        return self._counts

    def close(self) -> None:
        """Drop anything queued (the caller's transaction is rolled back)."""
        self._pending = []

    def _flush(self) -> None:
        if not self._pending:
            return
        chunk, self._pending = self._pending, []
        existing = self._existing(chunk)
        new: list[Reading] = []
        changed: list[Reading] = []
        superseded: list[ReadingRevision] = []
        for item in chunk:
            stored = existing.get((item.channel_id, item.start))
            if stored is None:
                new.append(self._reading(item))
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
            superseded.append(
                ReadingRevision(
                    reading=stored,
                    revision=stored.revision,
                    duration_s=stored.duration_s,
                    wh=stored.wh,
                    quality=stored.quality,
                    upload_id=stored.upload_id,
                    received_at=stored.received_at,
                    superseded_by=self._upload,
                    superseded_at=self._now,
                )
            )
            stored.wh, stored.quality, stored.duration_s = item.wh, item.quality, item.duration_s
            stored.revision += 1
            stored.upload = self._upload
            stored.received_at = self._now
            changed.append(stored)
            self._counts.revised += 1
        Reading.objects.bulk_create(new)
        ReadingRevision.objects.bulk_create(superseded)
        Reading.objects.bulk_update(
            changed, ["wh", "quality", "duration_s", "revision", "upload", "received_at"]
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

    def _reading(self, item: Accepted) -> Reading:
        return Reading(
            channel_id=item.channel_id,
            start=item.start,
            duration_s=item.duration_s,
            wh=item.wh,
            quality=item.quality,
            revision=1,
            upload=self._upload,
            received_at=self._now,
        )
