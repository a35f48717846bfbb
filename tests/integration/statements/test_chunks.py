"""A run fans out in chunks: each is settled once whatever the retries; one failure fails
the run visibly; the run completes when every chunk has."""

import datetime as dt

import pytest

from config.celery import app
from settlement.statements import periods
from settlement.statements.lines import computation
from settlement.statements.models import RunChunk, SettlementRun, Statement
from settlement.statements.runs import operations, tasks
from tests.settlement_fixtures import (
    LA,
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 8, 5, tzinfo=dt.UTC)
JULY = periods.month("2025-07", time_zone=LA)


@pytest.fixture
def three_participants(tmp_path):
    program = make_program()
    rows = []
    for number in range(3):
        enroll(program, f"p{number}@example.com", f"RM-{number}")
        rows += hourly_rows(f"RM-{number}", dt.date(2025, 7, 1), 1, peak_or_off_peak(1000, 0))
    ingest_rows(tmp_path, rows)
    return program


def test_each_chunk_settles_its_participants_and_the_last_completes_the_run(three_participants):
    run = operations.start_run(
        program=three_participants,
        period=JULY,
        run_type="INITIAL",
        started_by=None,
        now=NOW,
        chunk_size=2,
    )
    assert list(run.chunks.order_by("index").values_list("participant_ids", flat=True)) == [
        sorted(run.chunks.get(index=0).participant_ids),
        run.chunks.get(index=1).participant_ids,
    ]
    assert run.chunk_count == 2

    operations.settle_chunk(run_id=run.pk, chunk_index=1, now=NOW)
    run.refresh_from_db()
    assert (run.status, Statement.objects.count()) == ("RUNNING", 1)

    operations.settle_chunk(run_id=run.pk, chunk_index=0, now=NOW)
    run.refresh_from_db()
    assert (run.status, Statement.objects.count()) == ("COMPLETED", 3)
    assert len(run.inputs["participants"]) == 3


def test_a_retried_or_duplicated_chunk_changes_nothing(three_participants):
    run = operations.start_run(
        program=three_participants, period=JULY, run_type="INITIAL", started_by=None, now=NOW
    )
    operations.settle_chunk(run_id=run.pk, chunk_index=0, now=NOW)
    run.refresh_from_db()
    first = (run.result_sha256, list(Statement.objects.values_list("pk", "content_sha256")))

    operations.settle_chunk(run_id=run.pk, chunk_index=0, now=NOW + dt.timedelta(hours=1))

    run.refresh_from_db()
    assert (run.result_sha256, list(Statement.objects.values_list("pk", "content_sha256"))) == first


def test_a_failing_chunk_fails_the_run_and_stores_nothing_of_it(
    three_participants, monkeypatch, tasks_in_process
):
    # As a worker does: the task's failure handler runs instead of the error propagating.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    run = operations.start_run(
        program=three_participants,
        period=JULY,
        run_type="INITIAL",
        started_by=None,
        now=NOW,
        chunk_size=2,
    )

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(computation, "compute_statement", broken)
    result = tasks.settle_chunk.delay(run_id=run.pk, chunk_index=0)

    assert result.failed()

    run.refresh_from_db()
    assert run.status == "FAILED"
    assert run.error == "chunk 0: RuntimeError: disk on fire"
    assert RunChunk.objects.get(run=run, index=0).status == "FAILED"
    assert Statement.objects.count() == 0
    # The failed run's chunks are not settled later, and the period can be settled again.
    operations.settle_chunk(run_id=run.pk, chunk_index=1, now=NOW)
    assert Statement.objects.count() == 0
    monkeypatch.undo()
    again = operations.start_run(
        program=three_participants, period=JULY, run_type="INITIAL", started_by=None, now=NOW
    )
    assert SettlementRun.objects.filter(type="INITIAL").count() == 2
    assert operations.settle_inline(run=again, now=NOW).status == "COMPLETED"
