"""The demo pays owner01's released July statement through an ordinary payout run."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from settlement.ledger.models import JournalEntry, LedgerAccount, Posting
from settlement.payouts import onboarding, operations
from settlement.payouts.models import Payout, PayoutAccount, PayoutMethod
from settlement.rating.money import to_cents
from settlement.statements.models import Statement
from tests.settlement_fixtures import run_command

pytestmark = pytest.mark.django_db(transaction=True)

# The README's figure for the same week, meter and tariff in the rate preview (299.6 kWh):
# July has no other readings, so owner01's July statement pays exactly this.
OWNER01_JULY_CENTS = 1_992


def seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return json.loads(out.getvalue())


def paid_cents(payout):
    return -sum(
        Posting.objects.filter(
            entry__kind=JournalEntry.Kind.PAYOUT_PAID,
            entry__source_type="payout",
            entry__source_id=str(payout.pk),
            account__kind=LedgerAccount.Kind.PROVIDER_CASH,
        ).values_list("amount_cents", flat=True)
    )


def test_without_stripe_keys_the_released_statement_is_paid_manually_once(settings):
    settings.STRIPE_SECRET_KEY = ""

    first, second = seed(), seed()

    statement = Statement.objects.get(
        participant__email="owner01@example.com", run__program__code="nbt-export"
    )
    payout = Payout.objects.get()
    assert statement.state == Statement.State.RELEASED
    assert (payout.participant_id, payout.method, payout.status) == (
        statement.participant_id,
        PayoutMethod.MANUAL,
        Payout.Status.PAID,
    )
    assert list(payout.statement_links.values_list("statement_id", flat=True)) == [statement.pk]
    lines_cents = sum(to_cents(line.amount) for line in statement.lines.all())
    assert (
        lines_cents
        == to_cents(statement.total)
        == payout.amount_cents
        == paid_cents(payout)
        == OWNER01_JULY_CENTS
    )
    assert (first["payouts"]["created"], second["payouts"]["created"]) == (1, 0)
    assert run_command("check_ledger") == (0, {"ok": True, "violations": []})


def test_with_the_fake_stripe_the_owner_connects_and_the_run_sends_the_statement(fake_stripe):
    seeded = seed()

    assert seeded["payouts"]["created"] == 0
    assert seeded["payouts"]["skipped"] == ["no payout account connected yet"]
    statement = Statement.objects.get(
        participant__email="owner01@example.com", run__program__code="nbt-export"
    )
    onboarding.start_onboarding(
        participant=statement.participant,
        refresh_url="http://testserver/payouts/refresh",
        return_url="http://testserver/payouts/return",
        now=timezone.now(),
    )
    account = PayoutAccount.objects.get(participant=statement.participant)
    fake_stripe.complete_account(account.stripe_account_id)
    onboarding.refresh_account(participant=statement.participant, now=timezone.now())
    operations.run_payouts(now=timezone.now())

    payout = Payout.objects.get()
    [transfer] = fake_stripe.transfers()
    assert (payout.status, payout.stripe_transfer_id) == (Payout.Status.PAID, transfer["id"])
    assert (
        to_cents(statement.total)
        == payout.amount_cents
        == paid_cents(payout)
        == transfer["amount"]
        == OWNER01_JULY_CENTS
    )
    assert transfer["destination"] == account.stripe_account_id
