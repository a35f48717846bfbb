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

from settlement.metering import locks
from settlement.metering.models import Reading, Upload
from settlement.metering.store import Outranked, Refusal, Seal, StoreCounts
from settlement.metering.vee import Accepted

# Rows per COPY statement: large enough to amortize the round trip, small enough that
# the text buffer stays a few MB.
COPY_CHUNK = 50_000
# Chunks waiting for the merge thread: bounds memory while letting parsing run ahead.
PIPELINE_DEPTH = 2
# How often a blocked hand-over checks that the merge thread is still alive.
HANDOVER_POLL_S = 1.0

_STAGED_CHANNELS = "SELECT DISTINCT channel_id FROM {stage}"
# The deferrable foreign key of a table's column, by the name the migrations gave it.
_DEFERRABLE_FK = """
SELECT c.conname FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND c.condeferrable AND a.attname = %s
"""
# Per channel, the sources ranked above the upload's, comma-separated.
_RANKS = "INSERT INTO {stage}_ranks SELECT * FROM unnest(%s::bigint[], %s::text[])"

# A value from a source ranked below the stored value's leaves the stage before the merge:
# it is reported, and the stored value stays.
_REFUSALS = """
DELETE FROM {stage} s
USING metering_reading r, {stage}_ranks k
WHERE NOT s.estimated
  AND k.channel_id = s.channel_id
  AND r.channel_id = s.channel_id AND r.start = to_timestamp(s.start_epoch)
  AND r.source = ANY(string_to_array(k.stronger, ','))
  AND (r.wh, r.quality, r.duration_s) IS DISTINCT FROM (s.wh, s.quality, s.duration_s)
RETURNING s.channel_id, s.location, s.wh, r.source, r.start
"""

_REVISIONS = """
INSERT INTO metering_readingrevision
    (reading_id, revision, duration_s, wh, quality, source, upload_id, received_at,
     superseded_by_id, superseded_at)
SELECT r.id, r.revision, r.duration_s, r.wh, r.quality, r.source, r.upload_id, r.received_at,
       %s, %s
FROM {stage} s
JOIN metering_reading r ON r.channel_id = s.channel_id AND r.start = to_timestamp(s.start_epoch)
WHERE NOT s.estimated
  AND (r.wh, r.quality, r.duration_s) IS DISTINCT FROM (s.wh, s.quality, s.duration_s)
"""

# No RETURNING: every existing reading this touches is one whose value changed, which is
# exactly the set _REVISIONS just copied, so updated = that count and inserted = the rest.
_UPSERT = """
INSERT INTO metering_reading
    (channel_id, start, duration_s, wh, quality, source, revision, upload_id, received_at)
SELECT channel_id, to_timestamp(start_epoch), duration_s, wh, quality, %s, 1, %s, %s
FROM {stage} WHERE NOT estimated
ON CONFLICT (channel_id, start) DO UPDATE SET
    duration_s = EXCLUDED.duration_s, wh = EXCLUDED.wh, quality = EXCLUDED.quality,
    source = EXCLUDED.source, revision = metering_reading.revision + 1,
    upload_id = EXCLUDED.upload_id, received_at = EXCLUDED.received_at
WHERE (metering_reading.wh, metering_reading.quality, metering_reading.duration_s)
    IS DISTINCT FROM (EXCLUDED.wh, EXCLUDED.quality, EXCLUDED.duration_s)
"""

_ESTIMATES = """
INSERT INTO metering_reading
    (channel_id, start, duration_s, wh, quality, source, revision, upload_id, received_at)
SELECT channel_id, to_timestamp(start_epoch), duration_s, wh, quality, %s, 1, %s, %s
FROM {stage} WHERE estimated
ON CONFLICT (channel_id, start) DO NOTHING
"""


def _copy_line(accepted: Accepted) -> str:
    # Epoch seconds, not timestamptz text: formatting an int is several times cheaper in
    # Python than isoformat(), and to_timestamp() is exact for them.
    # Locations are the parsers' own words ("line 12", "readings[3]"): no tab, newline or
    # backslash, which COPY's text format would read as delimiters or escapes.
    return (
        f"{accepted.channel_id}\t{int(accepted.start.timestamp())}\t{accepted.duration_s}"
        f"\t{accepted.wh}\t{accepted.quality}\t{'t' if accepted.estimated else 'f'}"
        f"\t{_copy_text(accepted.location)}\n"
    )


def _copy_text(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return text


def _create_stage(cursor: CursorWrapper, stage: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {stage}")
    cursor.execute(f"DROP TABLE IF EXISTS {stage}_ranks")
    cursor.execute(
        f"CREATE TEMP TABLE {stage} (channel_id bigint, start_epoch bigint, "
        "duration_s integer, wh bigint, quality text, estimated boolean, location text)"
    )
    cursor.execute(f"CREATE TEMP TABLE {stage}_ranks (channel_id bigint, stronger text)")


def _check_channels_per_statement(cursor: CursorWrapper) -> None:
    """Check the reading->channel foreign key as each merge statement ends, not at COMMIT.

    Django makes every foreign key DEFERRABLE INITIALLY DEFERRED, so a load's million
    checks would otherwise run one after another at COMMIT, after parsing has ended;
    checked per chunk they run on the merge thread while the next chunk is parsed. Nothing
    in a load relies on the deferral (its channels are committed before it starts). Only
    this constraint, by name: other deferred checks (the ledger's balance triggers) must
    stay deferred in any transaction they share with this one.
    """
    channel = Reading._meta.get_field("channel")
    cursor.execute(_DEFERRABLE_FK, [Reading._meta.db_table, channel.column])
    for (name,) in cursor.fetchall():
        cursor.execute(f"SET CONSTRAINTS {connection.ops.quote_name(name)} IMMEDIATE")


def _copy(cursor: CursorWrapper, stage: str, data: str) -> None:
    raw: Any = cursor.cursor
    with raw.copy(f"COPY {stage} FROM STDIN") as copy:
        copy.write(data)


def _merge(
    cursor: CursorWrapper,
    *,
    stage: str,
    upload: Upload,
    now: datetime,
    regular: int,
    outranked: Outranked,
    locked: set[int],
) -> StoreCounts:
    """Make the staged readings current (inside the caller's transaction); return counts.

    Readings of one file never share a (channel, start) (validation rejects duplicates),
    so merging a file chunk by chunk gives the same result as merging it at once. The
    staged channels not in `locked` are locked first (and added to it): after that no other
    load changes them until this transaction ends, so the values read here stay current.
    """
    cursor.execute(_STAGED_CHANNELS.format(stage=stage))
    channels = {channel_id for (channel_id,) in cursor.fetchall()} - locked
    locks.lock_channels(cursor, channels)
    locked |= channels
    cursor.execute(f"ANALYZE {stage}")
    # For this transaction only. Revisions are found by probing the (channel, start) index
    # once per staged reading: with statistics that lag a bulk load, the planner otherwise
    # hashes the whole readings table for every chunk, which grows with the table instead
    # of with the file. JIT compilation costs more than these simple statements save.
    cursor.execute("SET LOCAL enable_hashjoin = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    cursor.execute("SET LOCAL jit = off")
    refused = _refuse_outranked(cursor, stage=stage, outranked=outranked)
    regular -= len(refused)
    cursor.execute(_REVISIONS.format(stage=stage), [upload.pk, now])
    updated = cursor.rowcount
    cursor.execute(_UPSERT.format(stage=stage), [upload.source, upload.pk, now])
    inserted = cursor.rowcount - updated
    cursor.execute(_ESTIMATES.format(stage=stage), [upload.source, upload.pk, now])
    return StoreCounts(
        accepted=inserted,
        duplicates=regular - inserted - updated,
        revised=updated,
        estimated=cursor.rowcount,
        refused=refused,
    )


def _refuse_outranked(cursor: CursorWrapper, *, stage: str, outranked: Outranked) -> list[Refusal]:
    """Take the staged values a more trusted stored value holds out of the stage."""
    if not outranked:
        return []  # the upload's source is the most trusted for every channel it names
    cursor.execute(f"TRUNCATE {stage}_ranks")
    cursor.execute(
        _RANKS.format(stage=stage),
        [list(outranked), [",".join(sources) for sources in outranked.values()]],
    )
    cursor.execute(_REFUSALS.format(stage=stage))
    return [
        Refusal(channel_id, location, wh, source, start)
        for channel_id, location, wh, source, start in cursor.fetchall()
    ]


def _add_counts(total: StoreCounts, part: StoreCounts) -> None:
    total.accepted += part.accepted
    total.duplicates += part.duplicates
    total.revised += part.revised
    total.estimated += part.estimated
    total.refused.extend(part.refused)


class PostgresStore:
    """COPY accepted readings into a temporary table; merge them in `finish`."""

    needs_outer_transaction = False

    def __init__(self, *, upload: Upload, now: datetime, outranked: Outranked) -> None:
        self._upload = upload
        self._now = now
        self._outranked = outranked
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

    def finish(self, *, seal: Seal) -> StoreCounts:
        """Merge the staged readings and seal the upload in one transaction; return counts."""
        self._copy()
        with transaction.atomic(), connection.cursor() as cursor:
            _check_channels_per_statement(cursor)
            counts = _merge(
                cursor,
                stage=self._stage,
                upload=self._upload,
                now=self._now,
                regular=self._regular,
                outranked=self._outranked,
                locked=set(),
            )
            seal(counts)
            return counts

    def close(self) -> None:
        """Drop the staging tables."""
        self._lines = []
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self._stage}")
            cursor.execute(f"DROP TABLE IF EXISTS {self._stage}_ranks")

    def _copy(self) -> None:
        if not self._lines:
            return
        data, self._lines = "".join(self._lines), []
        with connection.cursor() as cursor:
            _copy(cursor, self._stage, data)


class _Discarded(Exception):
    """The caller abandoned the file: roll the merged chunks back."""


# One chunk for the merge thread: COPY text, its count of regular readings, and the
# channels' ranks known when it was handed over.
_Chunk = tuple[str, int, dict[int, tuple[str, ...]]]


class _MergeThread(threading.Thread):
    """Merge chunks on this thread's own connection, all in one transaction."""

    def __init__(self, *, upload: Upload, now: datetime) -> None:
        super().__init__(name=f"ingest-merge-{upload.pk}", daemon=True)
        self.chunks: queue.Queue[_Chunk | None] = queue.Queue(maxsize=PIPELINE_DEPTH)
        self.counts = StoreCounts()
        self.failure: BaseException | None = None
        # Set by the caller before it sends the end marker: seal and commit rather than
        # roll back.
        self.seal: Seal | None = None
        self._upload = upload
        self._now = now
        self._stage = f"metering_stage_{upload.pk}"

    def run(self) -> None:
        locked: set[int] = set()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _create_stage(cursor, self._stage)
                _check_channels_per_statement(cursor)
                while (chunk := self.chunks.get()) is not None:
                    data, regular, outranked = chunk
                    _copy(cursor, self._stage, data)
                    part = _merge(
                        cursor,
                        stage=self._stage,
                        upload=self._upload,
                        now=self._now,
                        regular=regular,
                        outranked=outranked,
                        locked=locked,
                    )
                    _add_counts(self.counts, part)
                    cursor.execute(f"TRUNCATE {self._stage}")
                if self.seal is None:
                    raise _Discarded
                # On this connection, in this transaction: the upload's result commits
                # with its readings or not at all.
                self.seal(self.counts)
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
    for every upload `operations.ingest` receives. It locks each chunk's new channels as the
    chunk arrives, so two large loads can deadlock; PostgreSQL then aborts one, and
    `operations.process_upload` runs it again.
    """

    needs_outer_transaction = False

    def __init__(self, *, upload: Upload, now: datetime, outranked: Outranked) -> None:
        self._outranked = outranked
        self._lines: list[str] = []
        self._regular = 0
        self._thread = _MergeThread(upload=upload, now=now)
        self._thread.start()

    def add(self, accepted: Accepted) -> None:
        """Queue one reading; a full chunk goes to the merge thread."""
        self._lines.append(_copy_line(accepted))
        if not accepted.estimated:
            self._regular += 1
        if len(self._lines) >= COPY_CHUNK:
            self._hand_over()

    def finish(self, *, seal: Seal) -> StoreCounts:
        """Wait for every chunk to be merged, seal, commit, and return the counts."""
        self._hand_over()
        self._thread.seal = seal
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
            self._put(("".join(self._lines), self._regular, dict(self._outranked)))
            self._lines, self._regular = [], 0

    def _end(self) -> None:
        self._put(None)
        self._thread.join()

    def _put(self, item: _Chunk | None) -> None:
        while True:
            try:
                self._thread.chunks.put(item, timeout=HANDOVER_POLL_S)
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError("the ingest merge thread stopped") from None
            else:
                return
