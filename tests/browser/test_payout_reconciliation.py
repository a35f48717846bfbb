"""Staff read the payout reconciliation in Chromium: each currency's totals apart, amounts
with their currency, clean at 1280 and 390 px (axe-core, no sideways scroll, no CSP
violation). Screenshots: reconciliation-1280.png and reconciliation-390.png."""

import pytest

from settlement.payouts import operations
from tests.browser.conftest import sign_in
from tests.browser.page_checks import CSP_LISTENER, problems_of_url
from tests.factories import EnrollmentFactory, ProgramFactory
from tests.fakes.fixtures import fake_stripe  # noqa: F401 - a fixture
from tests.functional.payouts.conftest import (  # noqa: F401 - fixtures
    NOW,
    connected,
    enrolled,
    give_balance,
    payout_tasks_in_process,
    program,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_read_each_currencys_totals_on_a_clean_page(
    live_server,
    browser,
    reviewer,
    connected,  # noqa: F811 - the fixture imported above
    fake_stripe,  # noqa: F811 - the fixture imported above
):
    ana = connected("ana@example.com", cents=1_234)
    euros = ProgramFactory(code="eu-export", currency="EUR")
    EnrollmentFactory(participant=ana, site__participant=ana, program=euros)
    give_balance(ana, euros, 567, "ana-eur-1")
    operations.run_payouts(now=NOW)
    page = sign_in(browser, live_server, reviewer.email)
    page.add_init_script(CSP_LISTENER)

    problems = problems_of_url(
        page, f"{live_server.url}/staff/payouts/reconciliation/", "reconciliation"
    )

    assert problems == []
    text = page.inner_text("main")
    assert "Ledger and Stripe agree." in text
    # EUR first (in name order): 5.67 each side; then USD: 12.34 each side.
    assert [h.inner_text() for h in page.query_selector_all("main h2")] == ["EUR", "USD"]
    assert text.count("€5.67") == 2 and text.count("$12.34") == 2
