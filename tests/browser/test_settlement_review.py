"""A reviewer drills into a flagged statement and approves it; the run's starter is refused;
the owner then sees the approved statement. Real Chromium against the live server."""

import datetime as dt

import pytest

from accounts import operations as account_operations
from accounts import roles
from settlement.statements.models import Statement
from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, UserFactory
from tests.settlement_fixtures import (
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_in_process"),
]


def test_review_a_flagged_statement_down_to_its_intervals(
    live_server, browser, screenshot, tmp_path
):
    program = make_program()
    participant, _ = enroll(program, "olivia@example.com", "RM-1")
    MembershipFactory(user=UserFactory(email="olivia@example.com"), participant=participant)
    # 30 of July's 31 days arrive: the missing day flags the statement.
    # 30 x 5 x 2.000 kWh x 0.30 = 90.00; 30 x 19 x 0.100 kWh x 0.05 = 2.85; total 92.85.
    ingest_rows(tmp_path, hourly_rows("RM-1", dt.date(2025, 7, 1), 30, peak_or_off_peak(2000, 100)))
    groups = account_operations.ensure_staff_roles()
    starter = UserFactory(email="riley@utility.example.com", is_staff=True)
    starter.groups.add(groups[roles.REVIEWER], groups[roles.APPROVER])
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(groups[roles.APPROVER])

    riley = sign_in(browser, live_server, starter.email)
    riley.goto(f"{live_server.url}/staff/settlement/runs/")
    # The runs form picks the program from a list (issue 19).
    riley.select_option("#id_program", "nbt-export")
    riley.fill("#id_period", "2025-07")
    riley.select_option("#id_type", "initial")
    riley.click("button:has-text('Start run')")
    riley.click("#statements a")
    # Void (destructive) must not look like Approve (issue 19): neither its background nor
    # its text colour is Approve's.
    looks = {
        decision: riley.eval_on_selector(
            f"button[value={decision}]",
            "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]",
        )
        for decision in ("approve", "void")
    }
    assert looks["void"][0] != looks["approve"][0] and looks["void"][1] != looks["approve"][1]
    riley.fill("#reason", "looks right to me")
    riley.click("button[value=approve]")
    assert "Refused: the person who started the run cannot approve its statements" in (
        riley.content()
    )
    assert riley.inner_text("#state") == "Draft" or riley.inner_text("#state") == "Needs review"
    screenshot(riley, "settlement-starter-refused")

    avery = sign_in(browser, live_server, approver.email)
    avery.goto(f"{live_server.url}/staff/settlement/statements/?flag=missing_data")
    screenshot(avery, "settlement-review-queue")
    # This test's statement, not whichever the queue lists first: on PostgreSQL the queue can
    # also hold a statement another test committed.
    statement = Statement.objects.get(participant=participant)
    avery.click(f"#statements a[href$='/settlement/statements/{statement.pk}/']")
    assert "missing_data" in avery.inner_text("#flags")
    screenshot(avery, "settlement-statement-flagged")
    peak_row = avery.locator("#lines tbody tr").filter(
        has=avery.get_by_role("cell", name="Peak", exact=True)
    )
    peak_row.locator("a:has-text('intervals')").click()
    # 30 days x 5 peak hours = 150 hourly readings of 2,000 Wh.
    assert avery.locator("#intervals tbody tr").count() == 150
    assert "150 readings, 300000 Wh in all" in avery.content()
    assert "2025-07-01 16:00 PDT" in avery.inner_text("#intervals")
    screenshot(avery, "settlement-line-intervals")
    avery.click("text=Back to statement")
    avery.fill("#reason", "July 31 is missing at the meter; the rest matches")
    avery.click("button[value=approve]")
    assert avery.inner_text("#state") == "Approved"
    assert "July 31 is missing at the meter; the rest matches" in avery.inner_text("#transitions")

    olivia = sign_in(browser, live_server, "olivia@example.com")
    olivia.goto(f"{live_server.url}/statements/")
    olivia.click("#statements a")
    assert olivia.inner_text("#total") == "$92.85"
    assert "Exported 300.0 kWh during Peak at $0.30/kWh" in olivia.inner_text("#lines")
    screenshot(olivia, "settlement-owner-statement")


def test_staff_reproduce_a_run_from_the_runs_page(live_server, browser, screenshot, tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", dt.date(2025, 7, 1), 3, peak_or_off_peak(2000, 100)))
    groups = account_operations.ensure_staff_roles()
    starter = UserFactory(email="riley@utility.example.com", is_staff=True)
    starter.groups.add(groups[roles.REVIEWER])

    riley = sign_in(browser, live_server, starter.email)
    riley.goto(f"{live_server.url}/staff/settlement/runs/")
    # The runs form picks the program from a list (issue 19).
    riley.select_option("#id_program", "nbt-export")
    riley.fill("#id_period", "2025-07")
    riley.select_option("#id_type", "initial")
    riley.click("button:has-text('Start run')")
    riley.goto(f"{live_server.url}/staff/settlement/runs/")
    screenshot(riley, "settlement-runs")
    riley.click("#runs a:has-text('Reproduce')")

    assert "Reproduced" in riley.inner_text("#verdict")
    assert "byte for byte" in riley.inner_text("#verdict")
    screenshot(riley, "settlement-run-reproduced")
