"""The dashboard page: the figures of the statements, a strict CSP, constant queries."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.portal_fixtures import owner_with_statements

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo("America/Los_Angeles")).date()


def test_the_dashboard_shows_what_was_earned_and_what_is_pending(client):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    client.force_login(owner.user)

    page = client.get("/").content.decode()

    # Last month 20.00; since enrolling 30.00 + 20.00 - 2.50; pending 20.00 - 2.50.
    assert '<strong class="amount" id="earned-last-month">$20.00</strong>' in page
    assert '<strong class="amount" id="earned-since-enrolling">$47.50</strong>' in page
    assert '<strong class="amount" id="pending">$17.50</strong>' in page
    assert "<svg" in page and "The chart as a table" in page


def test_every_page_carries_a_content_security_policy_without_unsafe_inline(client):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    client.force_login(owner.user)

    policy = client.get("/")["Content-Security-Policy"]

    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-inline" not in client.get("/accounts/login/")["Content-Security-Policy"]


def test_the_dashboard_costs_the_same_queries_for_two_years_of_data_as_for_four_months(client):
    small = owner_with_statements(email="small@example.com", today=_today())
    large = owner_with_statements(email="large@example.com", today=_today(), older_months=20)
    counts = []
    for owner in (small, large):
        client.force_login(owner.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
