"""Store accepted readings on PostgreSQL: COPY into a staging table, then set-based SQL.

Staging happens outside the readings transaction (so progress is visible while a large
file streams in); `finish` makes every reading current in one transaction: revisions for
changed values, then one INSERT ... ON CONFLICT DO UPDATE that touches only changed rows.
"""

from datetime import datetime
from typing import Any

from django.db import connection, transaction

from settlement.metering.models import Upload
from settlement.metering.store import StoreCounts
from settlement.metering.vee import Accepted

# Rows per COPY statement: large enough to amortize the round trip, small enough that
# the text buffer stays a few MB.
COPY_CHUNK = 50_000

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
            cursor.execute(f"DROP TABLE IF EXISTS {self._stage}")
            # Epoch seconds, not timestamptz text: formatting an int is several times
            # cheaper in Python than isoformat(), and to_timestamp() is exact for them.
            cursor.execute(
                f"CREATE TEMP TABLE {self._stage} (channel_id bigint, start_epoch bigint, "
                "duration_s integer, wh bigint, quality text, estimated boolean)"
            )

    def add(self, accepted: Accepted) -> None:
        """Queue one reading; a full chunk is copied at once."""
        self._lines.append(
            f"{accepted.channel_id}\t{int(accepted.start.timestamp())}\t{accepted.duration_s}"
            f"\t{accepted.wh}\t{accepted.quality}\t{'t' if accepted.estimated else 'f'}\n"
        )
        if not accepted.estimated:
            self._regular += 1
        if len(self._lines) >= COPY_CHUNK:
            self._copy()

    def finish(self) -> StoreCounts:
        """Merge the staged readings in one transaction and return the counts."""
        self._copy()
        stage = self._stage
        upload_id, now = self._upload.pk, self._now
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {stage}")
            cursor.execute(_REVISIONS.format(stage=stage), [upload_id, now])
            updated = cursor.rowcount
            cursor.execute(_UPSERT.format(stage=stage), [upload_id, now])
            inserted = cursor.rowcount - updated
            cursor.execute(_ESTIMATES.format(stage=stage), [upload_id, now])
            estimated = cursor.rowcount
        return StoreCounts(
            accepted=inserted,
            duplicates=self._regular - inserted - updated,
            revised=updated,
            estimated=estimated,
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
            raw: Any = cursor.cursor
            with raw.copy(f"COPY {self._stage} FROM STDIN") as copy:
                copy.write(data)
