"""An owner connects a payout account through the fake Stripe onboarding and sees a payout."""

import pytest
from django.db import connection
from django.urls import reverse

from settlement.payouts import operations
from settlement.payouts.models import PayoutAccount
from tests.factories import TEST_PASSWORD, EnrollmentFactory
from tests.fakes.fixtures import fake_stripe  # noqa: F401 - a fixture
from tests.functional.payouts.conftest import (
    NOW,
    give_balance,
    payout_tasks_in_process,  # noqa: F401 - an autouse fixture
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_connects_a_payout_account_and_sees_the_payout(
    live_server,
    page,
    owner,
    fake_stripe,  # noqa: F811 - the fixture imported above
    screenshot,
):
    owner_participant = owner.participants.get()
    enrollment = EnrollmentFactory(
        participant=owner_participant, site__participant=owner_participant
    )
    # SQLite's shared in-memory test database locks when the webhook and the page write at
    # once; there the return page's own refresh is what updates the account.
    webhooks = connection.vendor == "postgresql"
    if webhooks:
        fake_stripe.deliver_to(live_server.url + reverse("api:stripe-webhooks"))
    page.goto(f"{live_server.url}/accounts/login/?next=/payouts/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")
    assert "No payout account connected yet." in page.inner_text("main")
    screenshot(page, "payouts-not-connected")

    page.click("text=Connect a payout account")
    page.wait_for_selector("text=Set up payouts")
    assert page.url.startswith(fake_stripe.url + "/connect/onboarding/")
    page.click("text=Agree and submit")
    page.wait_for_selector("text=Your payout account is ready to receive payouts.")
    if webhooks:
        fake_stripe.wait_for_deliveries(1)
    assert PayoutAccount.objects.get(participant=owner_participant).payouts_enabled is True

    give_balance(owner_participant, enrollment.program, 4_321, "browser")
    operations.run_payouts(now=NOW)
    page.goto(f"{live_server.url}/payouts/")
    history = page.inner_text(".payout-list")
    assert "$43.21" in history and "Paid" in history
    screenshot(page, "payouts-history")
