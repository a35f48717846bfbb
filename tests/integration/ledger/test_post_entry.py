"""Posting journal entries: balanced, idempotent by source, refused when malformed."""

import pytest

from settlement.ledger import operations, queries
from settlement.ledger.models import JournalEntry, LedgerAccount, Posting
from tests.factories import ParticipantFactory, ProgramFactory
from tests.integration.ledger.helpers import NOW, expense_and_payable, post_approval

pytestmark = pytest.mark.django_db


def test_an_approval_moves_expense_and_payable_by_the_same_cents():
    program, participant = ProgramFactory(), ParticipantFactory()

    entry = post_approval(program, participant, 1234)

    assert sorted(entry.postings.values_list("amount_cents", flat=True)) == [-1234, 1234]
    assert queries.participant_payable_cents(participant=participant, currency="USD") == 1234
    assert queries.program_expense_cents(program=program, currency="USD") == 1234
    assert queries.violations() == []


def test_posting_the_same_source_twice_returns_the_first_entry_and_moves_nothing_more():
    program, participant = ProgramFactory(), ParticipantFactory()
    first = post_approval(program, participant, 500)

    again = post_approval(program, participant, 500)

    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert Posting.objects.count() == 2
    assert queries.participant_payable_cents(participant=participant, currency="USD") == 500


def test_the_same_source_with_other_amounts_is_a_conflict():
    program, participant = ProgramFactory(), ParticipantFactory()
    post_approval(program, participant, 500)

    with pytest.raises(operations.EntryConflict):
        post_approval(program, participant, 501)

    assert queries.participant_payable_cents(participant=participant, currency="USD") == 500


@pytest.mark.parametrize(
    ("amounts", "error"),
    [
        ([100, -99], operations.EntryUnbalanced),
        ([100], operations.EntryUnbalanced),
        ([0, 0], operations.PostingInvalid),
        ([True, -1], operations.PostingInvalid),
    ],
)
def test_a_malformed_entry_is_refused_and_writes_nothing(amounts, error):
    program, participant = ProgramFactory(), ParticipantFactory()
    expense, payable = expense_and_payable(program, participant)
    accounts = [expense, payable]

    with pytest.raises(error):
        operations.post_entry(
            kind="STATEMENT_APPROVAL",
            source_type="statement",
            source_id="9",
            currency="USD",
            postings=[
                operations.PostingSpec(account=accounts[index], amount_cents=amount)
                for index, amount in enumerate(amounts)
            ],
            now=NOW,
        )

    assert JournalEntry.objects.count() == 0
    assert set(LedgerAccount.objects.values_list("balance_cents", flat=True)) == {0}


def test_an_entry_without_a_source_is_refused():
    program, participant = ProgramFactory(), ParticipantFactory()
    expense, payable = expense_and_payable(program, participant)

    with pytest.raises(operations.SourceRequired):
        operations.post_entry(
            kind="CORRECTION",
            source_type="",
            source_id="",
            currency="USD",
            postings=[
                operations.PostingSpec(account=expense, amount_cents=1),
                operations.PostingSpec(account=payable, amount_cents=-1),
            ],
            now=NOW,
        )
    assert JournalEntry.objects.count() == 0


def test_an_account_of_another_currency_is_refused():
    program, participant = ProgramFactory(), ParticipantFactory()
    expense, _ = expense_and_payable(program, participant)
    payable_in_euros = operations.account_for(
        kind="PARTICIPANT_PAYABLE", currency="EUR", participant=participant, now=NOW
    )

    with pytest.raises(operations.PostingInvalid):
        operations.post_entry(
            kind="STATEMENT_APPROVAL",
            source_type="statement",
            source_id="3",
            currency="USD",
            postings=[
                operations.PostingSpec(account=expense, amount_cents=10),
                operations.PostingSpec(account=payable_in_euros, amount_cents=-10),
            ],
            now=NOW,
        )
    assert JournalEntry.objects.count() == 0


def test_accounts_belong_to_the_owner_their_kind_names():
    program = ProgramFactory()

    with pytest.raises(operations.PostingInvalid):
        operations.account_for(kind="PARTICIPANT_PAYABLE", currency="USD", program=program, now=NOW)
    with pytest.raises(operations.PostingInvalid):
        operations.account_for(kind="PROVIDER_CASH", currency="USD", program=program, now=NOW)

    cash = operations.account_for(kind="PROVIDER_CASH", currency="USD", now=NOW)
    assert operations.account_for(kind="PROVIDER_CASH", currency="USD", now=NOW).pk == cash.pk


def test_net_payable_is_payable_less_receivable():
    program, participant = ProgramFactory(), ParticipantFactory()
    post_approval(program, participant, 1000)
    expense, _ = expense_and_payable(program, participant)
    receivable = operations.account_for(
        kind="PARTICIPANT_RECEIVABLE", currency="USD", participant=participant, now=NOW
    )
    # A negative recalculation of 250 cents: the participant owes it back.
    operations.post_entry(
        kind="STATEMENT_APPROVAL",
        source_type="statement",
        source_id="2",
        currency="USD",
        postings=[
            operations.PostingSpec(account=receivable, amount_cents=250),
            operations.PostingSpec(account=expense, amount_cents=-250),
        ],
        now=NOW,
    )

    assert queries.participant_payable_cents(participant=participant, currency="USD") == 1000
    assert queries.participant_receivable_cents(participant=participant, currency="USD") == 250
    assert queries.participant_net_payable_cents(participant=participant, currency="USD") == 750
    assert queries.program_expense_cents(program=program, currency="USD") == 750
    assert queries.violations() == []
