"""Owners connect a payout account and see payouts; nobody sees anyone else's."""

import pytest
import requests
from django.urls import reverse

from settlement.payouts import operations, webhooks
from settlement.payouts.models import Payout, PayoutAccount
from tests.factories import MembershipFactory, UserFactory
from tests.functional.payouts.conftest import NOW

pytestmark = pytest.mark.django_db(transaction=True)


def test_connecting_sends_the_owner_to_stripe_and_back_to_a_ready_account(
    enrolled, fake_stripe, client_for
):
    ana = enrolled("ana@example.com")
    client = client_for(ana.members.get())

    response = client.post(reverse("portal:payout-connect", args=[ana.pk]))

    assert response.status_code == 302
    onboarding_url = response["Location"]
    assert onboarding_url.startswith(fake_stripe.url + "/connect/onboarding/")
    page = client.get(reverse("portal:payouts"))
    assert "your legal name" in page.content.decode()
    back = requests.post(
        onboarding_url, data={"outcome": "complete"}, allow_redirects=False, timeout=5
    )
    assert back.headers["Location"].endswith(
        reverse("portal:payout-onboarding-return", args=[ana.pk])
    )
    client.get(reverse("portal:payout-onboarding-return", args=[ana.pk]))
    assert PayoutAccount.objects.get(participant=ana).payouts_enabled is True
    assert "can receive payouts" in client.get(reverse("portal:payouts")).content.decode()


def test_an_account_without_a_bank_says_so_in_plain_words(enrolled, fake_stripe, client_for):
    ana = enrolled("ana@example.com")
    client = client_for(ana.members.get())
    onboarding_url = client.post(reverse("portal:payout-connect", args=[ana.pk]))["Location"]
    requests.post(onboarding_url, data={"outcome": "no_bank"}, allow_redirects=False, timeout=5)

    client.get(reverse("portal:payout-onboarding-return", args=[ana.pk]))

    page = client.get(reverse("portal:payouts")).content.decode()
    assert "Not ready yet." in page and "a bank account to receive payouts" in page


def test_a_fleet_manager_may_connect_the_fleets_account(enrolled, fake_stripe, client_for):
    fleet = enrolled("fleet@example.org")
    manager = UserFactory(email="manager@example.org")
    MembershipFactory(user=manager, participant=fleet, role="MANAGER")

    response = client_for(manager).post(reverse("portal:payout-connect", args=[fleet.pk]))

    assert response.status_code == 302
    assert PayoutAccount.objects.filter(participant=fleet).exists()


def test_an_owner_gets_404_for_another_participants_onboarding_and_payouts(
    connected, fake_stripe, client_for, api_client
):
    ana = connected("ana@example.com", cents=1_000)
    ben = connected("ben@example.com")
    operations.run_payouts(now=NOW)
    ana_payout = Payout.objects.get(participant=ana)
    ben_client = client_for(ben.members.get())

    assert ben_client.get(reverse("portal:payout-account", args=[ana.pk])).status_code == 404
    assert ben_client.post(reverse("portal:payout-connect", args=[ana.pk])).status_code == 404
    assert (
        ben_client.get(reverse("portal:payout-onboarding-return", args=[ana.pk])).status_code == 404
    )
    assert ben_client.get(reverse("api:payout", args=[ana_payout.pk])).status_code == 404
    assert ben_client.get(reverse("api:payouts")).json()["results"] == []
    assert "$10.00" not in ben_client.get(reverse("portal:payouts")).content.decode()


def test_the_api_lists_an_owners_payouts_with_what_happens_next(connected, fake_stripe, client_for):
    ana = connected("ana@example.com", cents=1_234)
    operations.run_payouts(now=NOW)

    body = client_for(ana.members.get()).get(reverse("api:payouts")).json()

    [payout] = body["results"]
    assert (payout["amount_cents"], payout["currency"], payout["status"]) == (1_234, "USD", "PAID")
    assert payout["next_step"] == "Nothing: it has been paid."


def test_a_failed_bank_payout_tells_the_owner_to_update_bank_details_until_one_is_paid(
    connected, fake_stripe, client_for
):
    ana = connected("ana@example.com", cents=3_000)
    operations.run_payouts(now=NOW)
    account_id = PayoutAccount.objects.get(participant=ana).stripe_account_id
    client = client_for(ana.members.get())
    failed = {"id": "po_1", "object": "payout", "amount": 3_000, "currency": "usd"}
    failed |= {"failure_message": "The bank account has been closed."}
    paid = {"id": "po_2", "object": "payout", "amount": 3_000, "currency": "usd"}

    webhooks.receive_event(
        event=stripe_event("payout.failed", failed, account_id, created=100), now=NOW
    )
    warned = client.get(reverse("portal:payouts")).content.decode()
    webhooks.receive_event(
        event=stripe_event("payout.paid", paid, account_id, created=200), now=NOW
    )
    cleared = client.get(reverse("portal:payouts")).content.decode()

    assert "Your bank could not receive a payout of $30.00" in warned
    assert "The bank account has been closed." in warned
    assert "still in your Stripe balance" in warned
    assert reverse("portal:payout-connect", args=[ana.pk]) in warned
    assert "Update your bank details" in warned
    assert "Your bank could not receive" not in cleared


def stripe_event(type_, obj, account_id, *, created):
    return {
        "id": f"evt_{type_}_{obj['id']}",
        "object": "event",
        "type": type_,
        "livemode": False,
        "created": created,
        "account": account_id,
        "data": {"object": obj},
    }
