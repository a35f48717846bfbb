"""The beat task starts each program's initial run for the month that just closed, once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from config.celery import app
from settlement.statements import periods
from settlement.statements.models import ProgramSettlementSettings, SettlementRun
from settlement.statements.runs import tasks
from tests.settlement_fixtures import LA, enroll, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def beat_tasks_in_process(tasks_in_process: None) -> None:
    """Run the tasks beat would send in this process."""


def test_the_closed_month_is_settled_once(django_capture_on_commit_callbacks):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    # The task reads today's clock: due from the first of the month.
    ProgramSettlementSettings.objects.create(program=program, settle_after_days=0)
    today = timezone.now().astimezone(ZoneInfo(LA)).date()
    start, end = periods.previous_month(today)

    with django_capture_on_commit_callbacks(execute=True):
        started = tasks.start_closed_period_runs()
    again = tasks.start_closed_period_runs()

    run = SettlementRun.objects.get()
    assert started == [run.pk]
    assert again == []
    assert (run.period_start, run.period_end, run.type, run.status) == (
        start,
        end,
        "INITIAL",
        "COMPLETED",
    )
    assert (run.started_by, run.started_automatically) == (None, True)
    assert "statements-start-closed-period-runs" in app.conf.beat_schedule


def test_previous_month_wraps_the_year():
    assert periods.previous_month(dt.date(2026, 1, 15)) == (
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
    )
    assert periods.previous_month(dt.date(2026, 3, 1)) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))
