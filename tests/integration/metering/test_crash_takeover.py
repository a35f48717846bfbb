"""A load killed with SIGKILL half-way is taken over by the same command run again."""

import datetime as dt
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from django.db import connection

from settlement.metering.models import Reading, Upload
from tests.integration.metering import processes
from tests.metering_fixtures import canonical

pytestmark = pytest.mark.django_db(transaction=True)

READINGS = 60_000
# PostgreSQL loads some 120,000 readings a second on a quiet machine: a file it takes
# most of a second to load, so that the kill lands half-way and not during the final
# commit, and under METERING_PIPELINE_MIN_BYTES (the pipelined store is not covered here).
POSTGRES_READINGS = 100_000
START = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
# Run in the child process: one site in UTC, enrolled, with a revenue meter.
SETUP = """
import datetime as dt
from accounts.models import Channel
from tests.factories import ChannelFactory, EnrollmentFactory, SiteFactory
site = SiteFactory(account_number="ACCT-KILL", timezone="UTC")
EnrollmentFactory(site=site, starts_on=dt.date(2024, 1, 1))
ChannelFactory(site=site, meter_id="KILL-1", kind=Channel.Kind.SITE_EXPORT)
"""


def big_file(path: Path, readings: int = READINGS) -> Path:
    rows = []
    for k in range(readings):
        start = START + dt.timedelta(minutes=5 * k)
        rows.append(
            f"KILL-1,{start.isoformat()},{(start + dt.timedelta(minutes=5)).isoformat()},7,,"
        )
    path.write_bytes(canonical(*rows))
    return path


def kill_half_way_then_run_again(env: dict[str, str], path: Path, status_of) -> dict:
    """SIGKILL an ingest once it is processing; run it again; return the second summary."""
    victim = processes.start_ingest(path, env)
    deadline = time.monotonic() + 120
    while status_of() != Upload.Status.PROCESSING:
        assert victim.poll() is None, "the load ended before it could be killed"
        assert time.monotonic() < deadline, "the load never started processing"
        time.sleep(0.05)
    time.sleep(0.3)  # well into the file, far from its end
    assert victim.poll() is None, "the load ended before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    assert victim.returncode == -signal.SIGKILL
    assert status_of() == Upload.Status.PROCESSING

    code, summary = processes.finished(processes.start_ingest(path, env))

    assert code == 0
    return summary


def test_postgres_a_killed_load_is_taken_over_and_ends_processed(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("this case runs on PostgreSQL; the SQLite case is below")
    env = processes.environment(database=processes.database_url(), media=tmp_path / "media")
    processes.manage("shell", "-c", SETUP, env=env)

    def status_of() -> str | None:
        return Upload.objects.values_list("status", flat=True).first()

    path = big_file(tmp_path / "kill.csv", POSTGRES_READINGS)
    summary = kill_half_way_then_run_again(env, path, status_of)

    assert (summary["status"], summary["accepted"], summary["duplicate_upload"]) == (
        "PROCESSED",
        POSTGRES_READINGS,
        False,
    )
    assert Upload.objects.count() == 1
    assert Reading.objects.count() == POSTGRES_READINGS


def test_sqlite_a_killed_load_is_taken_over_and_ends_processed(tmp_path):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite case runs in the SQLite suite (make test)")
    database = tmp_path / "crash.sqlite3"
    env = processes.environment(database=f"sqlite:///{database}", media=tmp_path / "media")
    processes.manage("migrate", "--noinput", env=env)
    processes.manage("shell", "-c", SETUP, env=env)

    def status_of() -> str | None:
        with sqlite3.connect(database, timeout=30) as db:
            row = db.execute("SELECT status FROM metering_upload").fetchone()
        return row[0] if row else None

    summary = kill_half_way_then_run_again(env, big_file(tmp_path / "kill.csv"), status_of)

    assert (summary["status"], summary["accepted"]) == ("PROCESSED", READINGS)
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM metering_reading").fetchone() == (READINGS,)
        assert db.execute("SELECT count(*) FROM metering_upload").fetchone() == (1,)
