"""Every interface starts a run with one operation call, which sends each chunk once on commit."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from settlement.statements import periods
from settlement.statements.models import ProgramSettlementSettings, RunChunk, SettlementRun
from settlement.statements.runs import operations, tasks
from tests.clients import signed_in
from tests.settlement_fixtures import LA, enroll, make_program

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def sent(monkeypatch):
    """The (run id, chunk index) of every chunk task sent, in order, instead of the broker."""
    found = []
    monkeypatch.setattr(
        tasks.settle_chunk,
        "delay",
        lambda *, run_id, chunk_index: found.append((run_id, chunk_index)),
    )
    return found


@pytest.fixture
def program():
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    enroll(program, "noah@example.com", "RM-2")
    # These tests run the beat task on today's clock: due from the first of the month.
    ProgramSettlementSettings.objects.create(program=program, settle_after_days=0)
    return program


def _only_run_and_its_chunks() -> list[tuple[int, int]]:
    run = SettlementRun.objects.get()
    return [
        (run.pk, index)
        for index in RunChunk.objects.filter(run=run)
        .order_by("index")
        .values_list("index", flat=True)
    ]


def test_the_api_sends_each_chunk_once_after_commit(
    program, reviewer, api_client, sent, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(reviewer)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client.post(
            "/api/v1/staff/runs/", {"program": program.code, "period": "2025-07"}, format="json"
        )
        assert sent == []

    assert response.status_code == 202, response.json()
    assert len(callbacks) == 1
    assert sent == _only_run_and_its_chunks() == [(response.json()["run_id"], 0)]


def test_the_staff_page_sends_each_chunk_once_after_commit(
    program, reviewer, sent, django_capture_on_commit_callbacks
):
    client = signed_in(reviewer)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("staff:settlement-runs"),
            {"program": program.code, "period": "2025-07", "type": "initial"},
        )
        assert sent == []

    assert response.status_code == 302
    assert len(callbacks) == 1
    assert sent == _only_run_and_its_chunks()
    assert len(sent) == 1


def test_the_beat_task_sends_each_chunk_once_after_commit(
    program, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        started = tasks.start_closed_period_runs()
        assert sent == []

    assert len(callbacks) == 1
    assert sent == _only_run_and_its_chunks() == [(started[0], 0)]


def test_a_second_initial_run_is_refused_by_the_operation_and_sends_nothing(
    program, sent, django_capture_on_commit_callbacks
):
    july = periods.month("2025-07", time_zone=LA)
    with django_capture_on_commit_callbacks(execute=True):
        first = operations.start_run(
            program=program, period=july, run_type="INITIAL", started_by=None, now=NOW
        )

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(operations.InitialRunExists) as refused,
    ):
        operations.start_run(
            program=program, period=july, run_type="INITIAL", started_by=None, now=NOW
        )

    assert refused.value.code == "run_not_allowed"
    assert refused.value.http_status == 409
    assert callbacks == []
    assert sent == [(first.pk, 0)]
    assert list(SettlementRun.objects.values_list("pk", flat=True)) == [first.pk]


def test_the_beat_task_skips_a_month_that_has_its_initial_run(
    program, sent, django_capture_on_commit_callbacks
):
    today = timezone.now().astimezone(ZoneInfo(LA)).date()
    start, end = periods.previous_month(today)
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.start_closed_period_runs()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = tasks.start_closed_period_runs()

    assert (len(first), again, callbacks) == (1, [], [])
    assert len(sent) == 1
    assert SettlementRun.objects.get().period_start == start
    assert SettlementRun.objects.get().period_end == end
