"""The Stripe webhook endpoint: signature, dedupe, livemode, unknown types, effects."""

import datetime as dt
import json
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from settlement.ledger import queries as ledger_queries
from settlement.payouts import onboarding, operations, webhooks
from settlement.payouts.models import (
    BankPayoutFailure,
    Payout,
    PayoutAccount,
    PayoutReturn,
    WebhookEvent,
)
from tests.fakes.fixtures import TEST_KEY, WEBHOOK_SECRET, signed_headers
from tests.functional.payouts.conftest import NOW

pytestmark = pytest.mark.django_db(transaction=True)

URL = reverse("api:stripe-webhooks")


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = TEST_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


def event(
    type_="account.updated",
    obj=None,
    *,
    event_id="evt_1",
    livemode=False,
    created=None,
    account=None,
):
    body = {
        "id": event_id,
        "object": "event",
        "type": type_,
        "livemode": livemode,
        "created": created or int(time.time()),
        "data": {"object": obj or {}},
    }
    if account:
        body["account"] = account
    return json.dumps(body)


def post(payload, **headers):
    return Client().post(URL, data=payload, content_type="application/json", **headers)


def account_object(account_id, *, payouts_enabled, due=()):
    return {
        "id": account_id,
        "object": "account",
        "payouts_enabled": payouts_enabled,
        "details_submitted": True,
        "created": 1,
        "requirements": {"currently_due": list(due), "past_due": [], "disabled_reason": None},
    }


def account_at_the_fake(fake_stripe, account_id, *, payouts_enabled):
    """Put a connected account with a known id at the fake, ready or not."""
    account = fake_stripe.fake.create_account({"type": "express", "email": "x@example.com"})
    account["id"] = account_id
    account["payouts_enabled"] = payouts_enabled
    if payouts_enabled:
        account["requirements"] |= {"currently_due": [], "past_due": [], "disabled_reason": None}
    fake_stripe.fake.state.accounts[account_id] = account
    return account


@pytest.fixture
def account(enrolled, fake_stripe):
    participant = enrolled("ana@example.com")
    account_at_the_fake(fake_stripe, "acct_ana", payouts_enabled=True)
    return PayoutAccount.objects.create(
        participant=participant, stripe_account_id="acct_ana", created_at=NOW, updated_at=NOW
    )


def test_a_valid_account_update_makes_the_account_payable(account):
    payload = event(obj=account_object("acct_ana", payouts_enabled=True), account="acct_ana")

    response = post(payload, **signed_headers(payload))

    assert response.status_code == 200
    account.refresh_from_db()
    assert (account.payouts_enabled, account.requirements_due) == (True, [])
    assert WebhookEvent.objects.get(event_id="evt_1").status == WebhookEvent.Status.PROCESSED


def test_a_tampered_body_is_refused_and_changes_nothing(account):
    payload = event(obj=account_object("acct_ana", payouts_enabled=False))
    headers = signed_headers(payload)
    tampered = payload.replace('"payouts_enabled": false', '"payouts_enabled": true')

    response = post(tampered, **headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_signature_invalid"
    account.refresh_from_db()
    assert account.payouts_enabled is False
    assert not WebhookEvent.objects.exists()


def test_a_wrong_secret_is_refused(account):
    payload = event(obj=account_object("acct_ana", payouts_enabled=True))

    response = post(payload, **signed_headers(payload, secret="whsec_someone_else"))

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_signature_older_than_300_seconds_is_refused(account):
    payload = event(obj=account_object("acct_ana", payouts_enabled=True))

    stale = post(payload, **signed_headers(payload, at=int(time.time()) - 301))
    fresh = post(payload, **signed_headers(payload, at=int(time.time()) - 290))

    assert (stale.status_code, fresh.status_code) == (400, 200)


def test_a_missing_signature_is_refused(account):
    assert post(event()).status_code == 400


def test_a_duplicate_delivery_has_its_effect_once(connected, fake_stripe):
    ana = connected("ana@example.com", cents=5_000)
    operations.run_payouts(now=NOW)
    payout = Payout.objects.get(participant=ana)
    reversed_transfer = {
        "id": payout.stripe_transfer_id,
        "object": "transfer",
        "amount": 5_000,
        "amount_reversed": 5_000,
        "currency": "usd",
        "destination": payout.destination,
        "transfer_group": payout.transfer_group,
        "metadata": {"payout_id": str(payout.pk)},
    }
    payload = event("transfer.reversed", reversed_transfer, event_id="evt_rev")

    first = post(payload, **signed_headers(payload))
    second = post(payload, **signed_headers(payload))

    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert ledger_queries.participant_payable_cents(participant=ana, currency="USD") == 5_000
    payout.refresh_from_db()
    assert payout.status == Payout.Status.RETURNED
    assert WebhookEvent.objects.get(event_id="evt_rev").deliveries == 2


def test_an_unknown_type_is_recorded_as_ignored():
    payload = event("charge.succeeded", {"id": "ch_1"}, event_id="evt_charge")

    response = post(payload, **signed_headers(payload))

    assert response.status_code == 200
    record = WebhookEvent.objects.get(event_id="evt_charge")
    assert record.status == WebhookEvent.Status.IGNORED
    assert record.error == "event type charge.succeeded is not handled"


def test_a_live_event_at_a_test_key_is_refused_and_recorded(account):
    payload = event(
        obj=account_object("acct_ana", payouts_enabled=True), livemode=True, event_id="evt_live"
    )

    response = post(payload, **signed_headers(payload))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_livemode_mismatch"
    account.refresh_from_db()
    assert account.payouts_enabled is False
    assert WebhookEvent.objects.get(event_id="evt_live").status == WebhookEvent.Status.FAILED


def test_an_older_account_snapshot_arriving_late_does_not_overwrite_a_newer_one(account):
    now = int(time.time())
    newer = event(
        obj=account_object("acct_ana", payouts_enabled=True), event_id="evt_new", created=now
    )
    older = event(
        obj=account_object("acct_ana", payouts_enabled=False, due=["external_account"]),
        event_id="evt_old",
        created=now - 60,
    )

    post(newer, **signed_headers(newer))
    post(older, **signed_headers(older))

    account.refresh_from_db()
    assert account.payouts_enabled is True


def test_ten_accounts_completed_in_the_second_of_their_stored_state_all_end_ready(
    enrolled, fake_stripe
):
    participants = [enrolled(f"owner{number}@example.com") for number in range(10)]
    for participant in participants:
        onboarding.start_onboarding(
            participant=participant, refresh_url="http://r", return_url="http://r", now=NOW
        )
    events = []
    for account in PayoutAccount.objects.order_by("pk"):
        fake_stripe.complete_account(account.stripe_account_id)
        events.append(fake_stripe.state()["events"][-1])
        # The stored state was taken half a second into the second the event names.
        created = dt.datetime.fromtimestamp(events[-1]["created"], tz=dt.UTC)
        PayoutAccount.objects.filter(pk=account.pk).update(
            state_as_of=created + dt.timedelta(microseconds=500_000)
        )

    for stripe_event in events:
        webhooks.receive_event(event=stripe_event, now=NOW)

    assert list(PayoutAccount.objects.values_list("payouts_enabled", flat=True)) == [True] * 10


def test_the_account_ends_as_stripe_says_now_whatever_order_its_events_arrive_in(
    account, fake_stripe
):
    second = int(time.time())
    ready = event(
        obj=account_object("acct_ana", payouts_enabled=True), event_id="evt_ready", created=second
    )
    not_ready = event(
        obj=account_object("acct_ana", payouts_enabled=False, due=["external_account"]),
        event_id="evt_not_ready",
        created=second,
    )
    post(not_ready, **signed_headers(not_ready))
    post(ready, **signed_headers(ready))
    account.refresh_from_db()
    ready_after_both = account.payouts_enabled
    # Stripe then disables payouts (a bank account removed); its event is delivered
    # before a late copy of the older "ready" one, in the same second.
    stripe_account = account_at_the_fake(fake_stripe, "acct_ana", payouts_enabled=False)
    disabled = event(obj=stripe_account, event_id="evt_disabled", created=second)
    late_ready = event(
        obj=account_object("acct_ana", payouts_enabled=True), event_id="evt_late", created=second
    )

    post(disabled, **signed_headers(disabled))
    post(late_ready, **signed_headers(late_ready))

    account.refresh_from_db()
    assert (ready_after_both, account.payouts_enabled) == (True, False)
    assert account.requirements_due == list(stripe_account["requirements"]["currently_due"])


def bank_payout_failed(account_id, cents, *, payout_id, event_id):
    return event(
        "payout.failed",
        {
            "id": payout_id,
            "object": "payout",
            "amount": cents,
            "currency": "usd",
            "failure_code": "account_closed",
            "failure_message": "The bank account has been closed.",
        },
        event_id=event_id,
        account=account_id,
    )


def test_a_bank_return_of_any_amount_makes_nothing_payable_and_pays_nothing_again(
    connected, fake_stripe
):
    ana = connected("ana@example.com", cents=8_232)
    operations.run_payouts(now=NOW)
    account = PayoutAccount.objects.get(participant=ana)
    payload = bank_payout_failed(
        account.stripe_account_id, 5_000_000, payout_id="po_huge", event_id="evt_po_huge"
    )

    response = post(payload, **signed_headers(payload))
    operations.run_payouts(now=NOW)

    assert response.status_code == 200
    assert ledger_queries.participant_payable_cents(participant=ana, currency="USD") == 0
    assert [t["amount"] for t in fake_stripe.transfers()] == [8_232]
    assert Payout.objects.get(participant=ana).status == Payout.Status.PAID
    assert not PayoutReturn.objects.exists()
    failure = BankPayoutFailure.objects.get()
    assert (failure.participant, failure.amount_cents, failure.stripe_payout_id) == (
        ana,
        5_000_000,
        "po_huge",
    )


def test_two_bank_returns_of_a_real_payout_do_not_pay_it_twice(connected, fake_stripe):
    ana = connected("ana@example.com", cents=3_000)
    operations.run_payouts(now=NOW)
    account_id = PayoutAccount.objects.get(participant=ana).stripe_account_id
    for number in (1, 2):
        payload = bank_payout_failed(
            account_id, 3_000, payout_id=f"po_{number}", event_id=f"evt_po_{number}"
        )
        post(payload, **signed_headers(payload))

    operations.run_payouts(now=NOW)

    assert ledger_queries.participant_payable_cents(participant=ana, currency="USD") == 0
    assert [t["amount"] for t in fake_stripe.transfers()] == [3_000]
    assert BankPayoutFailure.objects.count() == 2


def test_a_bank_return_emails_the_owner_what_to_do_once_per_stripe_payout(connected, fake_stripe):
    ana = connected("ana@example.com", cents=3_000)
    operations.run_payouts(now=NOW)
    account_id = PayoutAccount.objects.get(participant=ana).stripe_account_id
    payload = bank_payout_failed(account_id, 3_000, payout_id="po_1", event_id="evt_po_1")
    replay = bank_payout_failed(account_id, 3_000, payout_id="po_1", event_id="evt_po_1b")

    post(payload, **signed_headers(payload))
    post(replay, **signed_headers(replay))

    # The transfer's own email first (issue 21: a payout sent is told too), then the return.
    assert [message.subject for message in mail.outbox] == [
        "Your payout of $30.00 was sent",
        "Your bank could not receive a payout of $30.00",
    ]
    assert "update your bank details" in mail.outbox[1].body
    assert BankPayoutFailure.objects.count() == 1


def reversed_transfer_event(payout, amount_reversed, *, event_id, amount=None):
    transfer = {
        "id": payout.stripe_transfer_id,
        "object": "transfer",
        "amount": amount or payout.amount_cents,
        "amount_reversed": amount_reversed,
        "currency": "usd",
        "destination": payout.destination,
        "transfer_group": payout.transfer_group,
        "metadata": {"payout_id": str(payout.pk)},
    }
    return event("transfer.reversed", transfer, event_id=event_id)


def test_a_reversal_reported_above_the_transfer_credits_back_the_transfer_only(
    connected, fake_stripe
):
    ana = connected("ana@example.com", cents=5_000)
    operations.run_payouts(now=NOW)
    payout = Payout.objects.get(participant=ana)
    payload = reversed_transfer_event(payout, 10_000, amount=10_000, event_id="evt_rev_twice")

    post(payload, **signed_headers(payload))

    assert ledger_queries.participant_payable_cents(participant=ana, currency="USD") == 5_000
    assert list(PayoutReturn.objects.values_list("amount_cents", flat=True)) == [5_000]


def test_cumulative_reversals_credit_each_increase_once_and_a_replay_nothing(
    connected, fake_stripe
):
    ana = connected("ana@example.com", cents=5_000)
    operations.run_payouts(now=NOW)
    payout = Payout.objects.get(participant=ana)
    deliveries = [
        reversed_transfer_event(payout, 1_200, event_id="evt_rev_1"),
        reversed_transfer_event(payout, 3_000, event_id="evt_rev_2"),
        reversed_transfer_event(payout, 3_000, event_id="evt_rev_2_replayed_as_new"),
        reversed_transfer_event(payout, 1_200, event_id="evt_rev_1_late"),
    ]

    for payload in deliveries:
        post(payload, **signed_headers(payload))

    assert ledger_queries.participant_payable_cents(participant=ana, currency="USD") == 3_000
    assert list(PayoutReturn.objects.order_by("pk").values_list("amount_cents", flat=True)) == [
        1_200,
        1_800,
    ]
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID


def test_an_account_update_stripe_cannot_answer_now_is_left_for_stripe_to_deliver_again(
    account, fake_stripe, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: the read fails
    payload = event(obj=account_object("acct_ana", payouts_enabled=True), event_id="evt_later")

    failed = post(payload, **signed_headers(payload))
    settings.STRIPE_API_BASE = fake_stripe.url
    delivered_again = post(payload, **signed_headers(payload))

    assert (failed.status_code, delivered_again.status_code) == (502, 200)
    assert delivered_again.json()["duplicate"] is False
    account.refresh_from_db()
    assert account.payouts_enabled is True
