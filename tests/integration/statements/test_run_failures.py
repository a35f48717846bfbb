"""No run is left RUNNING: every `settle` ends its run COMPLETED or FAILED with the error,
transient database errors are retried, and a run whose process was killed is taken over.

One participant, July 2025 of hourly readings (2.000 kWh each peak hour, 0.100 kWh each
other hour): Peak 310.000 kWh x $0.30 = $93.00, Off-peak 58.900 kWh x $0.05 = $2.945 ->
$2.95, total $95.95 (the figures of docs/settlement.md's worked example).
"""

import datetime as dt
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction

from settlement.statements.models import SettlementRun, Statement
from settlement.statements.periods import Period
from settlement.statements.runs import operations
from settlement.tariffs.models import TariffVersion
from tests.integration.metering import processes
from tests.settlement_fixtures import (
    LA,
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
    run_command,
)

pytestmark = pytest.mark.django_db(transaction=True)
JULY = dt.date(2025, 7, 1)
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def july(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 31, peak_or_off_peak(2000, 100)))
    return program


def _settle(program):
    return operations.settle_in_process(
        program=program,
        period=Period(start=JULY, end=dt.date(2025, 8, 1), time_zone=LA),
        run_type="INITIAL",
        started_by=None,
        now=NOW,
    )


def test_an_unexpected_error_fails_the_run_and_the_period_can_be_settled_again(july, monkeypatch):
    real = operations._settle_participants

    def broken(*args, **kwargs):
        raise ValueError("tariff cache corrupted")

    monkeypatch.setattr(operations, "_settle_participants", broken)
    failed = _settle(july)

    assert (failed.status, failed.error) == (
        "FAILED",
        "chunk 0: ValueError: tariff cache corrupted",
    )
    assert not Statement.objects.exists()

    monkeypatch.setattr(operations, "_settle_participants", real)
    again = _settle(july)

    assert again.status == "COMPLETED"
    assert again.pk != failed.pk
    assert Statement.objects.get(run=again).total == Decimal("95.95")


def test_the_settle_command_reports_a_failed_run_and_exits_1(july, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("missing channel")

    monkeypatch.setattr(operations, "_settle_participants", broken)

    code, summary = run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    assert code == 1
    assert summary["status"] == "failed"
    assert SettlementRun.objects.get().status == "FAILED"


def test_a_transient_database_error_is_retried_and_the_run_completes(july, monkeypatch):
    real = operations._settle_participants
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            # What Django raises for psycopg's SerializationFailure / a lost connection.
            raise OperationalError("could not serialize access due to concurrent update")
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "_settle_participants", flaky)
    monkeypatch.setattr(operations, "TRANSIENT_BACKOFF_S", 0)

    run = _settle(july)

    assert (run.status, len(calls)) == ("COMPLETED", 3)
    assert Statement.objects.get(run=run).total == Decimal("95.95")


def test_a_transient_error_that_persists_fails_the_run_after_the_bounded_attempts(
    july, monkeypatch
):
    calls = []

    def always(*args, **kwargs):
        calls.append(1)
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(operations, "_settle_participants", always)
    monkeypatch.setattr(operations, "TRANSIENT_BACKOFF_S", 0)

    run = _settle(july)

    assert (run.status, run.error) == ("FAILED", "chunk 0: OperationalError: deadlock detected")
    assert len(calls) == operations.TRANSIENT_ATTEMPTS == 3


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        (waiting,) = cursor.fetchone()
    return waiting > 0


def test_postgres_a_killed_settle_is_taken_over_by_the_next_settle(july, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a real process and row locks between two connections need PostgreSQL")
    env = processes.environment(database=processes.database_url(), media=tmp_path / "media")
    command = [sys.executable, "manage.py", "settle", "--program", "nbt-export"]
    command += ["--period", "2025-07"]
    # Hold the tariff version's row: the chunk blocks when it locks the version it used,
    # inside its transaction, after the run went RUNNING. Then kill it there.
    with transaction.atomic():
        TariffVersion.objects.select_for_update().get()
        victim = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            command, cwd=processes.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 120
        while not _waiting_on_a_lock():
            assert victim.poll() is None, victim.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the settle never reached its chunk"
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.communicate()
        assert victim.returncode == -signal.SIGKILL
    stuck = SettlementRun.objects.get()
    assert stuck.status == "RUNNING"
    assert stuck.lease_holder.endswith(f":{victim.pid}")

    code, summary = processes.finished(
        subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            command, cwd=processes.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    )

    assert code == 0, summary
    assert (summary["run_id"], summary["status"], summary["total"]) == (
        stuck.pk,
        "completed",
        "95.95",
    )
    assert SettlementRun.objects.count() == 1
    assert Statement.objects.get().total == Decimal("95.95")
