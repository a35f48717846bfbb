"""A load killed with SIGKILL half-way is taken over by the same command run again."""

import datetime as dt
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from settlement.metering import locks
from settlement.metering.models import Reading, ReadingRevision, Upload
from tests.integration.metering import processes
from tests.metering_fixtures import canonical

pytestmark = pytest.mark.django_db(transaction=True)

READINGS = 60_000
# PostgreSQL loads some 120,000 readings a second on a quiet machine: a file it takes
# most of a second to load, so that the kill lands half-way and not during the final
# commit. 6.3 MB, under METERING_PIPELINE_MIN_BYTES: the store that merges at the end.
POSTGRES_READINGS = 100_000
# Three chunks (store_postgres.COPY_CHUNK) for the pipelined store: the kill lands while the
# merge thread holds the first chunks merged but uncommitted and the next is being parsed.
PIPELINED_READINGS = 150_000
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


def kill_half_way_then_run_again(
    env: dict[str, str], path: Path, status_of, half_way: Callable[[], bool] | None = None
) -> dict:
    """SIGKILL an ingest once it is processing; run it again; return the second summary.

    `half_way` (polled while the load runs) says when it is far enough into the file; by
    default, 0.3 s after the upload went PROCESSING.
    """
    victim = processes.start_ingest(path, env)
    deadline = time.monotonic() + 120
    while status_of() != Upload.Status.PROCESSING:
        assert victim.poll() is None, "the load ended before it could be killed"
        assert time.monotonic() < deadline, "the load never started processing"
        time.sleep(0.05)
    if half_way is None:
        time.sleep(0.3)  # well into the file, far from its end
    else:
        while not half_way():
            assert victim.poll() is None, "the load ended before it could be killed"
            assert time.monotonic() < deadline, "the load never got half-way"
            time.sleep(0.02)
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
    assert not ReadingRevision.objects.exists()


def merge_holds_channels() -> bool:
    """Return whether another session holds a channel merge lock (a merge is open)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND pid <> pg_backend_pid()",
            [locks.CHANNEL_NAMESPACE],
        )
        (held,) = cursor.fetchone()
    return held > 0


def test_postgres_a_load_killed_while_its_merge_thread_holds_chunks_is_taken_over(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the pipelined store needs PostgreSQL")
    env = processes.environment(database=processes.database_url(), media=tmp_path / "media")
    # Every file through PipelinedPostgresStore (in production: files from 8 MiB).
    env["METERING_PIPELINE_MIN_BYTES"] = "0"
    processes.manage("shell", "-c", SETUP, env=env)

    def status_of() -> str | None:
        return Upload.objects.values_list("status", flat=True).first()

    def half_way() -> bool:
        # The merge thread takes the channel's lock with the first chunk and keeps it, in
        # its open transaction, until the commit at the end of the file.
        return merge_holds_channels() and Upload.objects.filter(rows_done__gt=0).exists()

    path = big_file(tmp_path / "kill.csv", PIPELINED_READINGS)
    summary = kill_half_way_then_run_again(env, path, status_of, half_way)

    assert (summary["status"], summary["accepted"], summary["duplicates"]) == (
        "PROCESSED",
        PIPELINED_READINGS,
        0,
    )
    assert (summary["rejected"], summary["duplicate_upload"]) == (0, False)
    assert Upload.objects.count() == 1
    assert Reading.objects.count() == PIPELINED_READINGS
    assert set(Reading.objects.values_list("revision", "wh").distinct()) == {(1, 7)}
    assert not ReadingRevision.objects.exists()


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
