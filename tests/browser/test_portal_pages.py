"""In Chromium: an owner's portal pages at a phone's and a desktop's width.

Each page is checked for what a person meets: the dashboard's figures against the
statements, the statement PDF opened and read, no Content-Security-Policy violation, no
horizontal scroll at 390 px, and axe-core finding nothing serious or critical.
"""

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.browser.conftest import sign_in
from tests.browser.page_checks import CSP_LISTENER, problems_of_url
from tests.portal_fixtures import owner_with_statements

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo("America/Los_Angeles")).date()


def test_an_owner_reads_the_dashboard_and_a_statement_pdf(live_server, browser):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    page = sign_in(browser, live_server, "ana@example.com")
    page.wait_for_selector("#earned-last-month")

    # Last month 20.00; pending 20.00 - 2.50 owed back (the hand-computed statements).
    assert page.inner_text("#earned-last-month") == "$20.00"
    assert page.inner_text("#pending") == "$17.50"
    assert page.inner_text("#earned-since-enrolling") == "$47.50"
    assert page.locator("svg.chart-svg rect.bar").count() == 60

    page.goto(f"{live_server.url}/statements/{owner.last.pk}/")
    with page.expect_download() as download:
        page.click("text=Download PDF")
    text = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages[0].extract_text()
    assert f"ST-{owner.last.pk:06d}" in text and "$20.00" in text
    with page.expect_download() as download:
        page.click("text=Download CSV")
    assert "Exported 40.0 kWh during Peak at $0.30/kWh" in Path(download.value.path()).read_text()


def test_every_portal_page_is_clean_at_both_widths(live_server, browser):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    signed_out = browser.new_context().new_page()
    signed_out.add_init_script(CSP_LISTENER)
    problems = problems_of_url(signed_out, f"{live_server.url}/accounts/login/", "sign-in")

    page = sign_in(browser, live_server, "ana@example.com")
    page.add_init_script(CSP_LISTENER)
    pages = {
        "dashboard": "/",
        "statements": "/statements/",
        "statement": f"/statements/{owner.last.pk}/",
        "statement-negative": f"/statements/{owner.correction.pk}/",
        "energy": "/energy/",
        "offers": "/offers/",
        "payouts": "/payouts/",
        "fleet": f"/fleet/{owner.participant.pk}/",
    }
    for name, path in pages.items():
        problems += problems_of_url(page, f"{live_server.url}{path}", name)

    assert problems == []
