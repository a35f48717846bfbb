"""`check_ledger` and `reconcile_payouts` report money sent beyond what was released.

The database of defect 1 (issue 17) as it happened, written with raw postings: a released
statement of $82.32 was paid by a transfer of 8,232 cents; a signed `payout.failed` of
5,000,000 cents on the participant's connected account was booked as money back (cash ->
payable), and the next run transferred those 5,000,000 cents. Sent: 8,232 + 5,000,000 =
5,008,232 cents, none of it reversed at Stripe; released: 8,232; 5,000,000 too many.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from settlement.ledger import operations
from settlement.ledger.models import LedgerAccount
from settlement.payouts.models import Payout, PayoutMethod, PayoutReturn
from tests import released_statements
from tests.factories import EnrollmentFactory, ParticipantFactory, ProgramFactory
from tests.fakes.fixtures import FakeStripeControl, fake_stripe  # noqa: F401 - a fixture
from tests.integration.ledger.helpers import NOW

pytestmark = pytest.mark.django_db(transaction=True)


def command(name: str) -> tuple[int, dict]:
    out = StringIO()
    try:
        call_command(name, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


def account(kind: str, participant=None) -> LedgerAccount:
    return operations.account_for(kind=kind, currency="USD", participant=participant, now=NOW)


def post(kind: str, source_type: str, source_id: int, *, debit, credit, cents: int) -> None:
    operations.post_entry(
        kind=kind,
        source_type=source_type,
        source_id=str(source_id),
        currency="USD",
        postings=[
            operations.PostingSpec(account=debit, amount_cents=cents),
            operations.PostingSpec(account=credit, amount_cents=-cents),
        ],
        memo="as it happened",
        now=NOW,
    )


def paid_stripe_payout(fake, participant, program, destination: str, cents: int) -> Payout:
    """A Stripe payout paid by a real transfer at the fake, booked sent and paid by hand."""
    payout = Payout.objects.create(
        participant=participant,
        program=program,
        method=PayoutMethod.STRIPE_CONNECT,
        amount_cents=cents,
        currency="USD",
        status=Payout.Status.PAID,
        destination=destination,
        created_at=NOW,
        paid_at=NOW,
        updated_at=NOW,
    )
    transfer = fake.fake.create_transfer(
        {
            "amount": str(cents),
            "currency": "usd",
            "destination": destination,
            "metadata": {"payout_id": str(payout.pk), "participant_id": str(participant.pk)},
        }
    )
    Payout.objects.filter(pk=payout.pk).update(
        stripe_transfer_id=transfer["id"], transfer_group=f"v2g-payout-{payout.pk}"
    )
    payable = account("PARTICIPANT_PAYABLE", participant)
    in_transit = account("PAYOUTS_IN_TRANSIT", participant)
    post("PAYOUT_SENT", "payout", payout.pk, debit=payable, credit=in_transit, cents=cents)
    post(
        "PAYOUT_PAID",
        "payout",
        payout.pk,
        debit=in_transit,
        credit=account("PROVIDER_CASH"),
        cents=cents,
    )
    return Payout.objects.get(pk=payout.pk)


@pytest.fixture
def paid_once(fake_stripe):  # noqa: F811 - the fixture imported above
    program = ProgramFactory(code="nbt-export", currency="USD")
    participant = ParticipantFactory(email="ana@example.com")
    EnrollmentFactory(participant=participant, site__participant=participant, program=program)
    released_statements.statement(participant, program, 8_232, "july", now=NOW)
    destination = fake_stripe.fake.create_account({"type": "express"})["id"]
    fake_stripe.fake.state.accounts[destination]["payouts_enabled"] = True
    first = paid_stripe_payout(fake_stripe, participant, program, destination, 8_232)
    return fake_stripe, participant, program, destination, first


def test_both_commands_are_ok_when_what_was_sent_was_released(paid_once):
    assert command("check_ledger") == (0, {"ok": True, "violations": []})
    status, report = command("reconcile_payouts")
    assert (status, report["balanced"], report["problems"]) == (0, True, [])


def test_both_commands_report_the_bank_return_that_was_paid_again(paid_once):
    fake, participant, program, destination, first = paid_once
    bank_return = PayoutReturn.objects.create(
        participant=participant,
        payout=first,
        kind=PayoutReturn.Kind.BANK_RETURN,
        stripe_object_id="po_huge",
        amount_cents=5_000_000,
        currency="USD",
        created_at=NOW,
    )
    post(
        "PAYOUT_REVERSED",
        "payout_return",
        bank_return.pk,
        debit=account("PROVIDER_CASH"),
        credit=account("PARTICIPANT_PAYABLE", participant),
        cents=5_000_000,
    )
    paid_stripe_payout(fake, participant, program, destination, 5_000_000)

    ledger_status, ledger_report = command("check_ledger")
    gateway_status, gateway_report = command("reconcile_payouts")

    ref = f"participant:{participant.pk}:USD"
    assert (ledger_status, ledger_report["violations"]) == (
        1,
        [
            {
                "check": "sent_within_released",
                "message": (
                    f"participant {participant.pk} was sent 5008232 USD cents (by the ledger, "
                    "less reversals) but only 8232 were released (8232 in released statements, "
                    "less 0 owed back and netted): 5000000 cents too many"
                ),
                "ref": ref,
            }
        ],
    )
    assert (gateway_status, gateway_report["balanced"], gateway_report["problems"]) == (
        1,
        False,
        [
            {
                "participant": ref,
                "problem": (
                    f"participant {participant.pk} was sent 5008232 USD cents (Stripe's "
                    "transfers, less reversals) but only 8232 were released (8232 in released "
                    "statements, less 0 owed back and netted): 5000000 cents too many"
                ),
            }
        ],
    )
    assert gateway_report["currencies"] == {
        "USD": {
            "gateway_cents": 5_008_232,
            "ledger_cents": 5_008_232,
            "gateway_reversed_cents": 0,
            "ledger_reversed_cents": 5_000_000,
        }
    }
