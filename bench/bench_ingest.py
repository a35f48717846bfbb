"""Benchmark meter data ingestion: portable path, PostgreSQL COPY path, and bare COPY.

Generates BENCH_SCALE x 1,000,000 readings for BENCH_SCALE x 1,000 meters in the canonical
CSV, ingests the file through `operations.ingest` twice on the same PostgreSQL database
(once forcing the portable ORM store, once with the COPY store), and times a bare COPY of
the same file into an unindexed table and a COPY of its readings into a table with the
reading table's schema (same keys, checks and channel foreign key), both in the same run.
Prints one JSON object on stdout.

Database: DATABASE_URL if it is a PostgreSQL URL, else postgres://postgres@127.0.0.1:5432/
v2g_bench, created and migrated here. Readings tables are emptied before each run.
"""

import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
READINGS = max(int(1_000_000 * SCALE), 1000)
METERS = max(int(1_000 * SCALE), 1)
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/v2g_bench"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return url


os.environ["DATABASE_URL"] = _database_url()
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-media-")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import Channel, Enrollment, Participant, Program, Site  # noqa: E402
from settlement.metering import operations  # noqa: E402

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class PeakRss:
    """Sample this process's RSS every 20 ms; `peak_mb` is the highest seen."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def peak_mb(self) -> float:
        return self.peak / (1024 * 1024)


def setup_channels() -> None:
    """Return nothing; create METERS export channels at enrolled sites (idempotent)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE metering_readingrevision, metering_reading, metering_uploadproblem, "
            "metering_upload CASCADE"
        )
    program, _ = Program.objects.get_or_create(
        code="bench",
        defaults={"name": "Bench", "utility": "Bench", "timezone": "UTC", "created_at": NOW},
    )
    participant, _ = Participant.objects.get_or_create(
        email="bench@example.com",
        defaults={"name": "Bench", "kind": "ORGANIZATION", "created_at": NOW},
    )
    site, _ = Site.objects.get_or_create(
        account_number="BENCH",
        defaults={"participant": participant, "timezone": "UTC", "created_at": NOW},
    )
    Enrollment.objects.get_or_create(
        participant=participant,
        site=site,
        program=program,
        defaults={"starts_on": START.date(), "created_at": NOW},
    )
    existing = set(Channel.objects.filter(site=site).values_list("meter_id", flat=True))
    Channel.objects.bulk_create(
        Channel(site=site, meter_id=f"M-{n:05d}", kind="SITE_EXPORT", created_at=NOW)
        for n in range(METERS)
        if f"M-{n:05d}" not in existing
    )


def write_file(path: Path) -> None:
    """Write READINGS rows (per meter, in time order) of the canonical CSV to `path`."""
    per_meter = READINGS // METERS
    stamps = [
        (START + dt.timedelta(minutes=15 * i)).isoformat().replace("+00:00", "Z")
        for i in range(per_meter + 1)
    ]
    with path.open("w") as out:
        out.write("meter_id,start,end,export_wh,import_wh,quality\n")
        for meter in range(METERS):
            name = f"M-{meter:05d}"
            lines = [
                f"{name},{stamps[i]},{stamps[i + 1]},{(meter * 7 + i * 13) % 3000},,\n"
                for i in range(per_meter)
            ]
            out.write("".join(lines))


def empty_readings() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE metering_readingrevision, metering_reading, metering_uploadproblem, "
            "metering_upload CASCADE"
        )
        cursor.execute("VACUUM ANALYZE metering_reading")


def timed_ingest(path: Path, storage: str) -> tuple[float, float, int]:
    empty_readings()
    with PeakRss() as rss, path.open("rb") as stream:
        started = time.perf_counter()
        upload = operations.ingest(
            stream=stream,
            filename=path.name,
            now=NOW,
            storage=storage,  # type: ignore[arg-type]
        ).upload
        elapsed = time.perf_counter() - started
    if upload.status != "PROCESSED" or upload.accepted != READINGS:
        raise SystemExit(
            f"ingest went wrong: {upload.status} {upload.accepted} {upload.rejection_reason}"
        )
    return elapsed, rss.peak_mb, upload.accepted


def bare_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_copy")
        cursor.execute(
            "CREATE TABLE bench_bare_copy (meter_id text, start timestamptz, "
            '"end" timestamptz, export_wh bigint, import_wh bigint, quality text)'
        )
        raw = cursor.cursor
        started = time.perf_counter()
        with (
            path.open("rb") as stream,
            raw.copy("COPY bench_bare_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := stream.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare_copy")
    return elapsed


def schema_copy(path: Path) -> float:
    """Return the seconds a COPY of the file's readings takes into the reading table's schema.

    The table has metering_reading's columns, keys, checks and (deferred) channel foreign
    key; the rows are made reading-shaped (channel ids resolved) before the clock starts.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT meter_id, id FROM accounts_channel WHERE kind = 'SITE_EXPORT'")
        channel_of = dict(cursor.fetchall())
        lines = []
        with path.open() as stream:
            next(stream)
            for row in stream:
                meter, start, _end, wh, _import, _quality = row.rstrip("\n").split(",")
                lines.append(
                    f"{channel_of[meter]}\t{start}\t900\t{wh}\tACTUAL\tUTILITY\t1\t1"
                    f"\t{NOW.isoformat()}\n"
                )
        data = "".join(lines)
        cursor.execute("DROP TABLE IF EXISTS bench_schema_copy")
        cursor.execute("CREATE TABLE bench_schema_copy (LIKE metering_reading INCLUDING ALL)")
        cursor.execute(
            "ALTER TABLE bench_schema_copy ADD FOREIGN KEY (channel_id) "
            "REFERENCES accounts_channel (id) DEFERRABLE INITIALLY DEFERRED"
        )
        raw = cursor.cursor
        started = time.perf_counter()
        with (
            transaction.atomic(),
            raw.copy(
                "COPY bench_schema_copy (channel_id, start, duration_s, wh, quality, source, "
                "revision, upload_id, received_at) FROM STDIN"
            ) as copy,
        ):
            copy.write(data)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_schema_copy")
    return elapsed


def main() -> None:
    call_command("migrate", verbosity=0)
    setup_channels()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        write_file(path)
        print(f"file {path.stat().st_size / 1e6:.1f} MB, {READINGS} readings", file=sys.stderr)
        copy_s = bare_copy(path)
        print(f"bare COPY {copy_s:.2f} s", file=sys.stderr)
        schema_s = schema_copy(path)
        print(f"COPY into the reading schema {schema_s:.2f} s", file=sys.stderr)
        pg_s, pg_rss, _ = timed_ingest(path, "postgres")
        print(f"postgres path {pg_s:.2f} s, peak RSS {pg_rss:.0f} MB", file=sys.stderr)
        portable_s, portable_rss, _ = timed_ingest(path, "portable")
        print(f"portable path {portable_s:.2f} s, peak RSS {portable_rss:.0f} MB", file=sys.stderr)
    empty_readings()
    print(
        json.dumps(
            {
                "ingest_portable_readings_per_s": round(READINGS / portable_s),
                "ingest_postgres_readings_per_s": round(READINGS / pg_s),
                "ingest_vs_copy_time_ratio": round(pg_s / copy_s, 2),
                # Against a COPY into the same keys, checks and foreign key (same run).
                "ingest_vs_schema_copy_time_ratio": round(pg_s / schema_s, 2),
                "ingest_peak_rss_mb": round(max(pg_rss, portable_rss), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
