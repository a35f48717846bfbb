"""Load-test the owner portal: 50 signed-in owners against gunicorn on PostgreSQL.

BENCH_SCALE x 1,000 participants, each an owner with a revenue meter sending 10,000
15-minute readings up to today (10 million readings at scale 1, written by one
`generate_series` INSERT), three released monthly statements and a paid payout. The daily
totals are rebuilt by the same code as `rebuild_daily_totals`. gunicorn serves the site
(DEBUG off, `BENCH_PORTAL_WORKERS` (4) sync workers, gthread ones with
`BENCH_PORTAL_THREADS` above 1); locust (bench/locust_portal.py) runs `BENCH_PORTAL_USERS`
(50) owners, each visiting dashboard, offers, statements, a statement PDF and payouts with
a person's reading time between clicks (`BENCH_PORTAL_THINK`, "2,8" seconds), measured for
`BENCH_PORTAL_SECONDS` (60) s once every owner has signed in. Then the same owners click
with no reading time for `BENCH_PORTAL_CAPACITY_SECONDS` (30; 0 skips it): the site's
capacity. Prints `portal_p95_ms` and `portal_rps` (locust's aggregate of the first run),
`portal_failures`, `portal_capacity_rps`, `portal_capacity_p95_ms`,
`portal_capacity_failures`, `portal_readings` and `portal_setup_seconds`.

Database: `v2g_bench_portal` (or BENCH_DATABASE) on DATABASE_URL's server, dropped and made
anew, and dropped again at the end unless BENCH_KEEP=1; BENCH_REUSE=1 runs the load again
on a kept one, as it is.
"""

import csv
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import psycopg

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
PARTICIPANTS = max(int(1_000 * SCALE), 2)
READINGS_PER_METER = 10_000
USERS = int(os.environ.get("BENCH_PORTAL_USERS", "50"))
SECONDS = int(os.environ.get("BENCH_PORTAL_SECONDS", "60"))
CAPACITY_SECONDS = int(os.environ.get("BENCH_PORTAL_CAPACITY_SECONDS", "30"))
THINK = os.environ.get("BENCH_PORTAL_THINK", "2,8")
WORKERS = int(os.environ.get("BENCH_PORTAL_WORKERS", "4"))
# More than 1 makes gunicorn's workers gthread ones, each serving this many requests at once.
THREADS = int(os.environ.get("BENCH_PORTAL_THREADS", "1"))
# The longest the owners' sign-ins may take before the measured window starts.
SIGN_IN_LIMIT = 300
REUSE = os.environ.get("BENCH_REUSE") == "1"
PASSWORD = "bench-password"  # noqa: S105 - a throwaway database's owners
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/v2g_bench_portal"
ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> tuple[str, str, str]:
    """Return (url, admin url, name) of a database of its own, dropped and made anew.

    With BENCH_REUSE=1 the database a kept run left (BENCH_KEEP=1) is used as it is.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    base = url.rsplit("/", 1)[0]
    name = os.environ.get("BENCH_DATABASE") or DEFAULT_URL.rsplit("/", 1)[1]
    if REUSE:
        return f"{base}/{name}", f"{base}/postgres", name
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}", f"{base}/postgres", name


DATABASE_URL, ADMIN_URL, DATABASE_NAME = _database_url()
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import (  # noqa: E402
    Channel,
    Enrollment,
    Membership,
    Participant,
    Program,
    Site,
    User,
)
from settlement.metering import daily_totals  # noqa: E402
from settlement.metering.models import Upload  # noqa: E402
from settlement.payouts.models import Payout, PayoutMethod, PayoutStatement  # noqa: E402
from settlement.statements.models import SettlementRun, Statement, StatementLine  # noqa: E402

LA = "America/Los_Angeles"
NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)

READINGS_SQL = """
INSERT INTO metering_reading
    (channel_id, start, duration_s, wh, quality, revision, upload_id, received_at, source)
SELECT c.id, %(first)s + g * interval '15 minutes', 900,
       CASE WHEN extract(hour FROM %(first)s + g * interval '15 minutes') BETWEEN 17 AND 21
            THEN 1500 + c.id %% 500 ELSE 20 END,
       'ACTUAL', 1, %(upload)s, %(now)s, 'UTILITY'
FROM accounts_channel c CROSS JOIN generate_series(0, %(count)s - 1) AS g
WHERE c.kind = 'SITE_EXPORT'
"""


def _month(back: int) -> tuple[dt.date, dt.date]:
    today = NOW.date()
    index = today.year * 12 + today.month - 1 - back
    start = dt.date(index // 12, index % 12 + 1, 1)
    end_index = index + 1
    return start, dt.date(end_index // 12, end_index % 12 + 1, 1)


def _setup() -> int:
    """Build the owners, readings, statements and payouts; return the number of readings."""
    call_command("migrate", verbosity=0)
    _phase("migrate")
    program = Program.objects.create(
        code="bench-portal", name="Export Credits", timezone=LA, currency="USD", created_at=NOW
    )
    upload = Upload.objects.create(
        file="bench.csv", size_bytes=0, sha256="0" * 64, target="bench", received_at=NOW
    )
    # One hash for every owner: hashing a thousand passwords would time the hasher.
    password = make_password(PASSWORD)
    participants = Participant.objects.bulk_create(
        Participant(
            kind="INDIVIDUAL", name=f"Owner {n}", email=f"p{n}@bench.example", created_at=NOW
        )
        for n in range(PARTICIPANTS)
    )
    users = User.objects.bulk_create(
        User(email=f"owner{n}@bench.example", password=password, date_joined=NOW)
        for n in range(PARTICIPANTS)
    )
    Membership.objects.bulk_create(
        Membership(user=user, participant=participant, role="OWNER")
        for user, participant in zip(users, participants, strict=True)
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
            starts_on=dt.date(2020, 1, 1),
            status="ACTIVE",
            created_at=NOW,
        )
        for site in sites
    )
    Channel.objects.bulk_create(
        Channel(site=site, meter_id=f"M-{site.pk}", kind=kind, created_at=NOW)
        for site in sites
        for kind in ("SITE_EXPORT", "SITE_IMPORT")
    )
    _phase("owners")
    readings = _insert_readings(upload)
    _phase("readings")
    for back in (3, 2, 1):
        start, end = _month(back)
        run = SettlementRun.objects.create(
            program=program,
            period_start=start,
            period_end=end,
            type="INITIAL",
            status="COMPLETED",
            sequence=1,
            started_at=NOW,
            completed_at=NOW,
        )
        statements = Statement.objects.bulk_create(
            Statement(
                run=run,
                participant=participant,
                currency="USD",
                state="RELEASED",
                total=Decimal("42.00"),
                content_sha256="0" * 64,
                created_at=NOW,
                approved_at=NOW,
            )
            for participant in participants
        )
        StatementLine.objects.bulk_create(
            StatementLine(
                statement=made,
                number=number,
                kind="EXPORT_ENERGY",
                label=label,
                price=Decimal(price),
                kwh=Decimal(kwh),
                amount=Decimal(amount),
            )
            for made in statements
            for number, (label, price, kwh, amount) in enumerate(
                [
                    ("Peak", "0.30000", "100.000", "30.00"),
                    ("Off-peak", "0.05000", "240.000", "12.00"),
                ],
                start=1,
            )
        )
        if back == 3:
            payouts = Payout.objects.bulk_create(
                Payout(
                    participant=made.participant,
                    program=program,
                    method=PayoutMethod.MANUAL,
                    amount_cents=4200,
                    currency="USD",
                    status=Payout.Status.PAID,
                    created_at=NOW,
                    paid_at=NOW,
                    updated_at=NOW,
                )
                for made in statements
            )
            PayoutStatement.objects.bulk_create(
                PayoutStatement(payout=payout, statement=made)
                for payout, made in zip(payouts, statements, strict=True)
            )
    _phase("statements and payouts")
    daily_totals.rebuild()
    _phase("daily totals")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _phase("analyze")
    connection.close()
    return readings


def _insert_readings(upload: Upload) -> int:
    """Write every meter's readings in one INSERT; return how many.

    The readings' unique (channel, start) index and their foreign key to the channels are
    dropped first and made again after, from their own definitions: one sorted index build
    and one join that checks every key cost a fraction of ten million index insertions and
    ten million deferred key checks.
    """
    first = NOW - dt.timedelta(minutes=15 * READINGS_PER_METER)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'metering_reading'::regclass AND contype IN ('u', 'f')"
        )
        constraints = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE metering_reading DROP CONSTRAINT "{name}"')
        cursor.execute(
            READINGS_SQL,
            {"first": first, "upload": upload.pk, "now": NOW, "count": READINGS_PER_METER},
        )
        readings = int(cursor.rowcount)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE metering_reading ADD CONSTRAINT "{name}" {definition}')
    return readings


_started = time.perf_counter()


def _phase(name: str) -> None:
    """Say on stderr how long the setup has taken so far, after each of its phases."""
    print(f"   setup: {name} done at {time.perf_counter() - _started:.1f} s", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before it listened")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not listen within 60 s")


def _warm(port: int) -> None:
    """Fetch the sign-in page a few times per worker: the first request imports templates."""
    for _ in range(WORKERS * 3):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=60):
            pass


def _load(port: int, out: Path, *, think: str, seconds: int) -> dict[str, str]:
    """Run locust headless against the server; return its aggregate row.

    `think` is the owners' reading time between clicks ("min,max" seconds); the figures
    cover `seconds` from the moment every owner has signed in (bench/locust_portal.py).
    """
    env = {
        **os.environ,
        "BENCH_PORTAL_PASSWORD": PASSWORD,
        "BENCH_PORTAL_OWNERS": str(PARTICIPANTS),
        "BENCH_PORTAL_USERS": str(USERS),
        "BENCH_PORTAL_SECONDS": str(seconds),
        "BENCH_PORTAL_THINK": think,
    }
    subprocess.run(
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "locust_portal.py"),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS),
            # Only a limit: the locust file ends the run `seconds` after the last sign-in.
            "--run-time",
            f"{seconds + SIGN_IN_LIMIT + 10}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(out / "portal"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,
        stdout=sys.stderr,
    )
    with (out / "portal_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    for name, row in rows.items():
        if name == "sign-in":
            continue
        print(f"   {name}: p95 {row['95%']} ms, {row['Requests/s']} req/s", file=sys.stderr)
    return rows["Aggregated"]


def _readings() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM metering_reading")
        (count,) = cursor.fetchone()
    connection.close()
    return int(count)


def main() -> None:
    started = time.perf_counter()
    readings = _readings() if REUSE else _setup()
    setup_seconds = time.perf_counter() - started
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
        # The pages are timed, not their assets (which whitenoise serves from memory): plain
        # static URLs spare a collectstatic of its own.
        "STATIC_MANIFEST": "0",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            # Load Django once, before the workers fork.
            "--preload",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(port, server)
        _warm(port)
        with tempfile.TemporaryDirectory() as out:
            aggregate = _load(port, Path(out), think=THINK, seconds=SECONDS)
        capacity = None
        if CAPACITY_SECONDS:
            print(f"   capacity: no reading time, {CAPACITY_SECONDS} s", file=sys.stderr)
            with tempfile.TemporaryDirectory() as out:
                capacity = _load(port, Path(out), think="0,0", seconds=CAPACITY_SECONDS)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if os.environ.get("BENCH_KEEP") != "1" and not REUSE:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')
    print(
        json.dumps(
            {
                "portal_p95_ms": float(aggregate["95%"]),
                "portal_rps": round(float(aggregate["Requests/s"]), 1),
                "portal_failures": int(aggregate["Failure Count"]),
                **(
                    {
                        "portal_capacity_rps": round(float(capacity["Requests/s"]), 1),
                        "portal_capacity_p95_ms": float(capacity["95%"]),
                        "portal_capacity_failures": int(capacity["Failure Count"]),
                    }
                    if capacity is not None
                    else {}
                ),
                "portal_readings": readings,
                "portal_setup_seconds": round(setup_seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
