"""Who started a run: `settle --as` names the maker; the schedule waits, then starts it."""

import datetime as dt

import pytest

from accounts import roles
from settlement.statements.models import ProgramSettlementSettings, SettlementRun
from settlement.statements.runs import operations
from tests.factories import UserFactory
from tests.settlement_fixtures import enroll, make_program, run_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    return program


def test_settle_as_a_reviewer_records_the_maker(program, reviewer):
    code, summary = run_command(
        "settle", "--program", "nbt-export", "--period", "2025-07", "--as", reviewer.email
    )

    assert code == 0
    assert (summary["started_by"], summary["started_automatically"]) == (
        "reviewer@utility.example.com",
        False,
    )
    assert SettlementRun.objects.get().started_by == reviewer


def test_settle_as_an_approver_is_refused_and_starts_nothing(program, staff_roles):
    approver = UserFactory(email="approver@utility.example.com", is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])

    code, body = run_command(
        "settle", "--program", "nbt-export", "--period", "2025-07", "--as", approver.email
    )

    assert (code, body["error"]["code"]) == (2, "role_required")
    assert not SettlementRun.objects.exists()


def test_settle_as_an_unknown_email_is_refused(program):
    code, body = run_command(
        "settle", "--program", "nbt-export", "--period", "2025-07", "--as", "nobody@example.com"
    )

    assert (code, body["error"]["code"]) == (2, "staff_not_found")
    assert not SettlementRun.objects.exists()


@pytest.mark.parametrize(
    ("now", "started"),
    [
        # November ends at local midnight on 1 December; three days later is 4 December.
        (dt.datetime(2026, 12, 4, 7, 59, tzinfo=dt.UTC), False),  # 3 Dec 23:59 in LA
        (dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC), True),  # 4 Dec 00:00 in LA
    ],
)
def test_the_schedule_waits_three_days_after_the_month_by_default(program, now, started):
    due = operations.start_due_initial_runs(now=now)

    assert (len(due.started), due.waiting) == ((1, []) if started else (0, ["nbt-export"]))
    assert (
        SettlementRun.objects.filter(
            period_start=dt.date(2026, 11, 1), started_automatically=True, started_by=None
        ).exists()
        is started
    )


def test_a_program_sets_its_own_wait(program):
    ProgramSettlementSettings.objects.create(program=program, settle_after_days=0)

    due = operations.start_due_initial_runs(now=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))

    assert [run.period_start for run in due.started] == [dt.date(2026, 11, 1)]
