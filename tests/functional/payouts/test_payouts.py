"""Payouts through the real stripe library against the fake server, tasks in-process."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from settlement.ledger import queries as ledger_queries
from settlement.payouts import operations
from settlement.payouts.models import Payout, PayoutMethod
from tests.functional.payouts.conftest import NOW, give_balance, set_method

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_state(participant):
    return {
        "payable": ledger_queries.participant_payable_cents(
            participant=participant, currency="USD"
        ),
        "in_transit": ledger_queries.participant_in_transit_cents(
            participant=participant, currency="USD"
        ),
    }


def test_a_due_balance_becomes_one_transfer_with_the_payout_named(connected, fake_stripe, program):
    ana = connected("ana@example.com", cents=12_345)

    summary = operations.run_payouts(now=NOW)

    payout = Payout.objects.get(participant=ana)
    assert (summary.created, summary.sent, summary.skipped, summary.failed) == (1, 1, 0, 0)
    assert payout.status == Payout.Status.PAID
    assert payout.amount_cents == 12_345
    [transfer] = fake_stripe.transfers()
    assert transfer["amount"] == 12_345
    assert transfer["currency"] == "usd"
    assert transfer["destination"] == payout.destination
    assert transfer["transfer_group"] == f"v2g-payout-{payout.pk}"
    assert transfer["metadata"]["payout_id"] == str(payout.pk)
    assert transfer["id"] == payout.stripe_transfer_id
    [request] = [r for r in fake_stripe.state()["requests"] if r["path"] == "/v1/transfers"]
    assert request["idempotency_key"] == f"v2g-payout-{payout.pk}-g1"
    assert ledger_state(ana) == {"payable": 0, "in_transit": 0}


def test_running_twice_creates_nothing_the_second_time(connected, fake_stripe):
    connected("ana@example.com", cents=5_000)
    operations.run_payouts(now=NOW)

    again = operations.run_payouts(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))

    assert (again.created, again.total) == (0, 0)
    assert Payout.objects.count() == 1
    assert len(fake_stripe.transfers()) == 1


def test_the_command_prints_its_summary_as_json(connected, fake_stripe, capsys):
    connected("ana@example.com", cents=2_500)

    call_command("run_payouts")

    out = capsys.readouterr().out
    assert '"created": 1' in out and '"sent": 1' in out and '"total_cents": 2500' in out


def test_a_balance_below_the_minimum_rolls_over(connected, fake_stripe, program):
    set_method(program, PayoutMethod.STRIPE_CONNECT, minimum_cents=2_000)
    ana = connected("ana@example.com", cents=1_999)

    summary = operations.run_payouts(now=NOW)

    assert (summary.created, summary.skipped) == (0, 1)
    assert "below the program minimum of $20.00" in summary.skips[0].reason
    assert fake_stripe.transfers() == []
    give_balance(ana, program, 1, "top-up")
    assert operations.run_payouts(now=NOW).created == 1
    assert [t["amount"] for t in fake_stripe.transfers()] == [2_000]


def test_a_participant_without_a_ready_account_is_skipped_with_the_reason(enrolled, fake_stripe):
    enrolled("ben@example.com", cents=3_000)

    summary = operations.run_payouts(now=NOW)

    assert summary.skipped == 1
    assert summary.skips[0].reason == "no payout account connected yet"
    assert Payout.objects.count() == 0


def test_a_refused_transfer_fails_with_stripes_message_and_the_money_is_owed_again(
    connected, fake_stripe
):
    ana = connected("ana@example.com", cents=4_000)
    fake_stripe.faults({"op": "create_transfer", "kind": "error_before", "status": 400})

    operations.run_payouts(now=NOW)

    payout = Payout.objects.get(participant=ana)
    assert payout.status == Payout.Status.FAILED
    assert payout.failure_message == "An unknown error occurred"
    assert ledger_state(ana) == {"payable": 4_000, "in_transit": 0}
    assert fake_stripe.transfers() == []
    assert [m.subject for m in mail.outbox] == ["Your payout of $40.00 did not go through"]


def test_a_500_before_the_transfer_is_retried_under_the_same_key(connected, fake_stripe):
    ana = connected("ana@example.com", cents=4_000)
    fake_stripe.faults({"op": "create_transfer", "kind": "error_before"})

    operations.run_payouts(now=NOW)
    payout = Payout.objects.get(participant=ana)
    assert payout.status == Payout.Status.PENDING
    operations.run_payouts(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))

    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    keys = [
        r["idempotency_key"]
        for r in fake_stripe.state()["requests"]
        if r["path"] == "/v1/transfers"
    ]
    assert keys == [payout.idempotency_key, payout.idempotency_key]
    assert len(fake_stripe.transfers()) == 1


def test_a_timeout_after_the_transfer_is_reconciled_not_resent(connected, fake_stripe):
    ana = connected("ana@example.com", cents=7_700)
    fake_stripe.faults({"op": "create_transfer", "kind": "timeout_after", "hang_seconds": 0})

    operations.run_payouts(now=NOW)

    payout = Payout.objects.get(participant=ana)
    assert payout.status == Payout.Status.PAID
    [transfer] = fake_stripe.transfers()
    assert payout.stripe_transfer_id == transfer["id"]
    paths = [r["path"] for r in fake_stripe.state()["requests"]]
    # One creation, then a listing of the group; never a second creation.
    assert paths.count("/v1/transfers") == 2
    assert ledger_state(ana) == {"payable": 0, "in_transit": 0}


def test_a_500_after_the_transfer_replays_until_the_listing_finds_it(
    connected, fake_stripe, settings
):
    settings.PAYOUT_MAX_SEND_ATTEMPTS = 2
    ana = connected("ana@example.com", cents=900)
    fake_stripe.faults({"op": "create_transfer", "kind": "error_after"})

    operations.run_payouts(now=NOW)
    operations.run_payouts(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))

    payout = Payout.objects.get(participant=ana)
    assert payout.status == Payout.Status.PAID
    assert len(fake_stripe.transfers()) == 1


def test_manual_is_the_default_without_a_stripe_key(enrolled, settings):
    settings.STRIPE_SECRET_KEY = ""
    ana = enrolled("ana@example.com", cents=1_000)

    summary = operations.run_payouts(now=NOW)

    payout = Payout.objects.get(participant=ana)
    assert (summary.created, summary.sent) == (1, 0)
    assert (payout.method, payout.status) == (PayoutMethod.MANUAL, Payout.Status.PENDING)
    assert ledger_state(ana) == {"payable": 0, "in_transit": 1_000}


def test_a_worker_without_a_stripe_key_leaves_the_payout_pending_never_unknown(
    connected, fake_stripe, settings
):
    settings.PAYOUT_MAX_SEND_ATTEMPTS = 2
    ana = connected("ana@example.com", cents=3_300)
    fake_stripe.faults({"op": "create_transfer", "kind": "error_before"})
    operations.run_payouts(now=NOW)
    payout = Payout.objects.get(participant=ana)
    assert payout.status == Payout.Status.PENDING
    key = settings.STRIPE_SECRET_KEY

    # A worker started without the key: nothing reaches Stripe, however often it tries.
    settings.STRIPE_SECRET_KEY = ""
    later = NOW
    for _ in range(3):
        later += dt.timedelta(hours=2)
        outcome = operations.send_payout(payout_id=payout.pk, now=later)
        payout.refresh_from_db()
        assert (outcome.status, payout.status) == (Payout.Status.PENDING, Payout.Status.PENDING)
        assert payout.failure_message == ("No Stripe secret key is configured (STRIPE_SECRET_KEY).")

    # The first failure reached Stripe; the keyless tries did not count against the limit.
    assert payout.send_attempts == 1
    settings.STRIPE_SECRET_KEY = key
    assert operations.send_payout(
        payout_id=payout.pk, now=later + dt.timedelta(hours=2)
    ).status == (Payout.Status.PAID)
    assert len(fake_stripe.transfers()) == 1
