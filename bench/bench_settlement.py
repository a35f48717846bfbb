"""Benchmark a settlement run on PostgreSQL against one SQL query over the same readings.

BENCH_SCALE x 1,000 participants, each with a revenue meter sending July 2025 in 15-minute
readings (31 x 96 = 2,976 each: about 2.98 million at scale 1). The run (`settle_in_process`:
every chunk in this process) is timed against one SQL query that computes the same
per-participant TOU energy sums (Peak 16:00-21:00 local, Off-peak otherwise) over the same
rows, in the same process run. Prints `settle_seconds`, `settle_sql_seconds`,
`settle_vs_sql_time_ratio` and `settle_readings`.

Database: `v2g_bench_settlement` (or BENCH_DATABASE) on DATABASE_URL's PostgreSQL server
(default 127.0.0.1:5432), dropped and created anew and migrated here: never the database
DATABASE_URL names.
"""

import datetime as dt
import io
import json
import os
import sys
import time
from pathlib import Path

import psycopg

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
PARTICIPANTS = max(int(1_000 * SCALE), 2)
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/v2g_bench_settlement"


def _database_url() -> str:
    # Always a database of its own (it is dropped and made anew), on DATABASE_URL's server.
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    base = url.rsplit("/", 1)[0]
    # BENCH_DATABASE names another database to drop and make anew (a shared machine's
    # engineers each have their own).
    name = os.environ.get("BENCH_DATABASE") or DEFAULT_URL.rsplit("/", 1)[1]
    url = f"{base}/{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url


os.environ["DATABASE_URL"] = _database_url()
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Channel, Enrollment, Participant, Site  # noqa: E402
from settlement.metering.models import Upload  # noqa: E402
from settlement.statements import periods  # noqa: E402
from settlement.statements.runs import operations  # noqa: E402
from tests.settlement_fixtures import LA, make_program  # noqa: E402

NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
JULY_START = dt.datetime(2025, 7, 1, 7, tzinfo=dt.UTC)  # local midnight, PDT
QUARTERS = 31 * 96

SQL_PEER = """
SELECT e.participant_id,
       CASE WHEN EXTRACT(HOUR FROM r.start AT TIME ZONE %(zone)s) BETWEEN 16 AND 20
            THEN 1 ELSE 0 END AS period,
       SUM(r.wh)
FROM metering_reading r
JOIN accounts_channel c ON c.id = r.channel_id AND c.kind = 'SITE_EXPORT'
JOIN accounts_enrollment e ON e.site_id = c.site_id AND e.program_id = %(program)s
WHERE r.start >= %(start)s AND r.start < %(end)s
GROUP BY 1, 2
"""


def _setup() -> tuple[object, int]:
    call_command("migrate", verbosity=0)
    program = make_program("bench-export")
    upload = Upload.objects.create(
        file="bench.csv", size_bytes=0, sha256="0" * 64, target="bench", received_at=NOW
    )
    participants = Participant.objects.bulk_create(
        Participant(kind="INDIVIDUAL", name=f"P {n}", email=f"p{n}@example.com", created_at=NOW)
        for n in range(PARTICIPANTS)
    )
    sites = Site.objects.bulk_create(
        Site(participant=p, account_number=f"A-{p.pk}", timezone=LA, created_at=NOW)
        for p in participants
    )
    Enrollment.objects.bulk_create(
        Enrollment(
            participant=site.participant,
            site=site,
            program=program,
            starts_on=dt.date(2025, 1, 1),
            status="ACTIVE",
            created_at=NOW,
        )
        for site in sites
    )
    channels = Channel.objects.bulk_create(
        Channel(site=site, meter_id=f"M-{site.pk}", kind="SITE_EXPORT", created_at=NOW)
        for site in sites
    )
    buffer = io.StringIO()
    for channel in channels:
        for step in range(QUARTERS):
            start = JULY_START + dt.timedelta(minutes=15 * step)
            wh = 2000 + channel.pk % 500 if start.hour >= 23 or start.hour < 4 else 40
            buffer.write(
                f"{channel.pk}\t{start.isoformat()}\t900\t{wh}\tACTUAL\t1\t{upload.pk}\t"
                f"{NOW.isoformat()}\tUTILITY\n"
            )
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY metering_reading (channel_id, start, duration_s, wh, quality, revision, "
            "upload_id, received_at, source) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE")
    return program, len(channels) * QUARTERS


def main() -> None:
    program, readings = _setup()
    july = periods.month("2025-07", time_zone=LA)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            SQL_PEER,
            {"zone": LA, "program": program.pk, "start": july.start_utc, "end": july.end_utc},
        )
        sums = cursor.fetchall()
        sql_seconds = time.perf_counter() - started
    if len(sums) != 2 * PARTICIPANTS:
        raise SystemExit(f"the SQL peer found {len(sums)} sums, not {2 * PARTICIPANTS}")
    started = time.perf_counter()
    run = operations.settle_in_process(
        program=program, period=july, run_type="INITIAL", started_by=None, now=NOW
    )
    settle_seconds = time.perf_counter() - started
    if run.status != "COMPLETED" or run.statements.count() != PARTICIPANTS:
        raise SystemExit(f"the run did not settle every participant: {run.error}")
    print(
        json.dumps(
            {
                "settle_seconds": round(settle_seconds, 2),
                "settle_sql_seconds": round(sql_seconds, 2),
                "settle_vs_sql_time_ratio": round(settle_seconds / sql_seconds, 2),
                "settle_readings": readings,
            }
        )
    )


if __name__ == "__main__":
    main()
