"""Store accepted readings on PostgreSQL: COPY into a staging table, then set-based SQL.

Two stores share the same merge. `PostgresStore` stages the whole file outside the readings
transaction (so progress is visible while a large file streams in), then `finish` makes
every reading current in one transaction. `PipelinedPostgresStore`, for large files, hands
each chunk to a thread with its own connection that merges it inside one open transaction
while the caller parses the next chunk: PostgreSQL then works on the other core instead of
waiting for the end of the file. The merge writes revisions for changed values, then one
INSERT ... ON CONFLICT DO UPDATE that touches only changed rows.
"""

import queue
import threading
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from settlement.metering.models import Upload
from settlement.metering.store import StoreCounts
from settlement.metering.vee import Accepted

# Rows per COPY statement: large enough to amortize the round trip, small enough that
# the text buffer stays a few MB.
COPY_CHUNK = 50_000
# Chunks waiting for the merge thread: bounds memory while letting parsing run ahead.
PIPELINE_DEPTH = 2
# How often a blocked hand-over checks that the merge thread is still alive.
HANDOVER_POLL_S = 1.0

_REVISIONS = """
INSERT INTO metering_readingrevision
    (reading_id, revision, duration_s, wh, quality, upload_id, received_at,
     superseded_by_id, superseded_at)
SELECT r.id, r.revision, r.duration_s, r.wh, r.quality, r.upload_id, r.received_at, %s, %s
FROM {stage} s
JOIN metering_reading r ON r.channel_id = s.channel_id AND r.start = to_timestamp(s.start_epoch)
WHERE NOT s.estimated
  AND (r.wh, r.quality, r.duration_s) IS DISTINCT FROM (s.wh, s.quality, s.duration_s)
"""

# No RETURNING: every existing reading this touches is one whose value changed, which is
# exactly the set _REVISIONS just copied, so updated = that count and inserted = the rest.
_UPSERT = """
INSERT INTO metering_reading
    (channel_id, start, duration_s, wh, quality, revision, upload_id, received_at)
SELECT channel_id, to_timestamp(start_epoch), duration_s, wh, quality, 1, %s, %s
FROM {stage} WHERE NOT estimated
ON CONFLICT (channel_id, start) DO UPDATE SET
    duration_s = EXCLUDED.duration_s, wh = EXCLUDED.wh, quality = EXCLUDED.quality,
    revision = metering_reading.revision + 1,
    upload_id = EXCLUDED.upload_id, received_at = EXCLUDED.received_at
WHERE (metering_reading.wh, metering_reading.quality, metering_reading.duration_s)
    IS DISTINCT FROM (EXCLUDED.wh, EXCLUDED.quality, EXCLUDED.duration_s)
"""

_ESTIMATES = """
INSERT INTO metering_reading
    (channel_id, start, duration_s, wh, quality, revision, upload_id, received_at)
SELECT channel_id, to_timestamp(start_epoch), duration_s, wh, quality, 1, %s, %s
FROM {stage} WHERE estimated
ON CONFLICT (channel_id, start) DO NOTHING
"""


def _copy_line(accepted: Accepted) -> str:
    # Epoch seconds, not timestamptz text: formatting an int is several times cheaper in
    # Python than isoformat(), and to_timestamp() is exact for them.
    return (
        f"{accepted.channel_id}\t{int(accepted.start.timestamp())}\t{accepted.duration_s}"
        f"\t{accepted.wh}\t{accepted.quality}\t{'t' if accepted.estimated else 'f'}\n"
    )


def _create_stage(cursor: CursorWrapper, stage: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {stage}")
    cursor.execute(
        f"CREATE TEMP TABLE {stage} (channel_id bigint, start_epoch bigint, "
        "duration_s integer, wh bigint, quality text, estimated boolean)"
    )


def _copy(cursor: CursorWrapper, stage: str, data: str) -> None:
    raw: Any = cursor.cursor
    with raw.copy(f"COPY {stage} FROM STDIN") as copy:
        copy.write(data)


def _merge(
    cursor: CursorWrapper, *, stage: str, upload_id: int, now: datetime, regular: int
) -> StoreCounts:
    """Make the staged readings current (inside the caller's transaction); return counts.

    Readings of one file never share a (channel, start) (validation rejects duplicates),
    so merging a file chunk by chunk gives the same result as merging it at once.
    """
    cursor.execute(f"ANALYZE {stage}")
    # For this transaction only. Revisions are found by probing the (channel, start) index
    # once per staged reading: with statistics that lag a bulk load, the planner otherwise
    # hashes the whole readings table for every chunk, which grows with the table instead
    # of with the file. JIT compilation costs more than these simple statements save.
    cursor.execute("SET LOCAL enable_hashjoin = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute("SET LOCAL jit = off")
    cursor.execute(_REVISIONS.format(stage=stage), [upload_id, now])
    updated = cursor.rowcount
    cursor.execute(_UPSERT.format(stage=stage), [upload_id, now])
    inserted = cursor.rowcount - updated
    cursor.execute(_ESTIMATES.format(stage=stage), [upload_id, now])
    return StoreCounts(
        accepted=inserted,
        duplicates=regular - inserted - updated,
        revised=updated,
        estimated=cursor.rowcount,
    )


def _add_counts(total: StoreCounts, part: StoreCounts) -> None:
    total.accepted += part.accepted
    total.duplicates += part.duplicates
    total.revised += part.revised
    total.estimated += part.estimated


class PostgresStore:
    """COPY accepted readings into a temporary table; merge them in `finish`."""

    needs_outer_transaction = False

    def __init__(self, *, upload: Upload, now: datetime) -> None:
        self._upload = upload
        self._now = now
        self._stage = f"metering_stage_{upload.pk}"
        self._lines: list[str] = []
        self._regular = 0
        with connection.cursor() as cursor:
            _create_stage(cursor, self._stage)

    def add(self, accepted: Accepted) -> None:
        """Queue one reading; a full chunk is copied at once."""
        self._lines.append(_copy_line(accepted))
        if not accepted.estimated:
            self._regular += 1
        if len(self._lines) >= COPY_CHUNK:
            self._copy()

    def finish(self) -> StoreCounts:
        """Merge the staged readings in one transaction and return the counts."""
        self._copy()
        with transaction.atomic(), connection.cursor() as cursor:
            return _merge(
                cursor,
                stage=self._stage,
                upload_id=self._upload.pk,
                now=self._now,
                regular=self._regular,
            )

    def close(self) -> None:
        """Drop the staging table."""
        self._lines = []
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self._stage}")

    def _copy(self) -> None:
        if not self._lines:
            return
        data, self._lines = "".join(self._lines), []
        with connection.cursor() as cursor:
            _copy(cursor, self._stage, data)


class _Discarded(Exception):
    """The caller abandoned the file: roll the merged chunks back."""


class _MergeThread(threading.Thread):
    """Merge chunks on this thread's own connection, all in one transaction."""

    def __init__(self, *, upload_id: int, now: datetime) -> None:
        super().__init__(name=f"ingest-merge-{upload_id}", daemon=True)
        self.chunks: queue.Queue[tuple[str, int] | None] = queue.Queue(maxsize=PIPELINE_DEPTH)
        self.counts = StoreCounts()
        self.failure: BaseException | None = None
        # Set by the caller before it sends the end marker: commit rather than roll back.
        self.keep = False
        self._upload_id = upload_id
        self._now = now
        self._stage = f"metering_stage_{upload_id}"

    def run(self) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _create_stage(cursor, self._stage)
                while (chunk := self.chunks.get()) is not None:
                    data, regular = chunk
                    _copy(cursor, self._stage, data)
                    part = _merge(
                        cursor,
                        stage=self._stage,
                        upload_id=self._upload_id,
                        now=self._now,
                        regular=regular,
                    )
                    _add_counts(self.counts, part)
                    cursor.execute(f"TRUNCATE {self._stage}")
                if not self.keep:
                    raise _Discarded
        except _Discarded:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread, re-raised there
            self.failure = error
            # Keep taking chunks so the caller never blocks on a full queue; it raises
            # the failure at its next hand-over.
            while self.chunks.get() is not None:
                pass
        finally:
            connection.close()


class PipelinedPostgresStore:
    """Hand chunks to a merge thread while the caller parses the next one (large files).

    The merge thread has its own database connection, so it sees only committed rows: the
    upload and its channels must be committed before the file is processed, as they are
    for every upload `operations.ingest` receives.
    """

    needs_outer_transaction = False

    def __init__(self, *, upload: Upload, now: datetime) -> None:
        self._lines: list[str] = []
        self._regular = 0
        self._thread = _MergeThread(upload_id=upload.pk, now=now)
        self._thread.start()

    def add(self, accepted: Accepted) -> None:
        """Queue one reading; a full chunk goes to the merge thread."""
        self._lines.append(_copy_line(accepted))
        if not accepted.estimated:
            self._regular += 1
        if len(self._lines) >= COPY_CHUNK:
            self._hand_over()

    def finish(self) -> StoreCounts:
        """Wait for every chunk to be merged, commit, and return the counts."""
        self._hand_over()
        self._thread.keep = True
        self._end()
        if self._thread.failure is not None:
            raise self._thread.failure
        return self._thread.counts

    def close(self) -> None:
        """Roll back whatever was merged unless `finish` committed it."""
        self._lines = []
        if self._thread.is_alive():
            self._end()

    def _hand_over(self) -> None:
        if self._thread.failure is not None:
            raise self._thread.failure
        if self._lines:
            self._put((("".join(self._lines)), self._regular))
            self._lines, self._regular = [], 0

    def _end(self) -> None:
        self._put(None)
        self._thread.join()

    def _put(self, item: tuple[str, int] | None) -> None:
        while True:
            try:
                self._thread.chunks.put(item, timeout=HANDOVER_POLL_S)
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError("the ingest merge thread stopped") from None
            else:
                return
