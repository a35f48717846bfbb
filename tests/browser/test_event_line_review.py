"""A reviewer opens a statement paying a grid event, drills into the event line's readings
and on to the event result, approves it; the owner sees the event line in plain words.
Real Chromium against the live server; the scenario and its hand-computed amounts are the
ones of tests/functional/statements/test_rule_lines_flow.py."""

import pytest

from settlement.statements.models import Statement
from tests.browser.conftest import sign_in
from tests.functional.statements.test_rule_lines_flow import _settle, scenario  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_in_process"),
]
EVENT_LINE = "Delivered 20.5 kWh more than your usual use during the 15 Jul grid event at $2.00/kWh"


def test_review_an_event_line_down_to_its_readings_and_event_result(
    live_server,
    browser,
    screenshot,
    scenario,  # noqa: F811
):
    program, olivia, _, event, approver = scenario
    run = _settle(program, "INITIAL")
    statement = Statement.objects.get(run=run, participant=olivia.participant)

    avery = sign_in(browser, live_server, approver.email)
    avery.goto(f"{live_server.url}/staff/settlement/statements/{statement.pk}/")
    screenshot(avery, "settlement-statement-event-lines")
    row = avery.locator("#lines tbody tr").filter(has_text="EVENT_INCREMENTAL")
    row.locator("a:has-text('intervals')").click()
    assert avery.locator("h1").inner_text() == EVENT_LINE
    # The readings come 200 a page, oldest first (issue 19): the event hour is on the last.
    while avery.locator("nav.pagination a:has-text('Next')").count():
        avery.click("nav.pagination a:has-text('Next')")
    assert "2025-07-15 17:00 PDT" in avery.inner_text("#intervals")
    screenshot(avery, "settlement-event-line-intervals")
    avery.click("#event-result")
    assert f"/staff/events/{event.pk}/offers/" in avery.url
    avery.go_back()
    avery.click("text=Back to statement")
    avery.fill("#reason", "Event delivery matches the charger's readings")
    avery.click("button[value=approve]")
    assert avery.inner_text("#state") == "Approved"

    owner = sign_in(browser, live_server, "olivia@example.com")
    owner.goto(f"{live_server.url}/statements/{statement.pk}/")
    assert owner.inner_text("#total") == "$276.10"
    assert EVENT_LINE in owner.inner_text("#lines")
    screenshot(owner, "settlement-owner-event-statement")
