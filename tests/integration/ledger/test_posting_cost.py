"""What one posting costs in database round trips, so that a regression shows."""

import pytest
from django.db import connection, transaction

from settlement.ledger import operations
from settlement.ledger.models import JournalEntry, LedgerAccount
from tests.factories import ParticipantFactory, ProgramFactory
from tests.integration.ledger.helpers import NOW, expense_and_payable

pytestmark = pytest.mark.django_db


def _post(expense: LedgerAccount, payable: LedgerAccount, cents: int) -> JournalEntry:
    return operations.post_entry(
        kind="STATEMENT_APPROVAL",
        source_type="test-approval",
        source_id="1",
        currency="USD",
        postings=[
            operations.PostingSpec(account=expense, amount_cents=cents),
            operations.PostingSpec(account=payable, amount_cents=-cents),
        ],
        memo="test approval",
        now=NOW,
    )


def test_a_new_entry_is_one_statement_on_postgresql_and_three_elsewhere(
    django_assert_num_queries,
):
    expense, payable = expense_and_payable(ProgramFactory(), ParticipantFactory())

    # The entry, its postings and both balances: one statement on PostgreSQL, three on
    # SQLite. No savepoint, no idempotency read, no lock of its own, no read back.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        entry = _post(expense, payable, 1234)

    assert entry.pk == JournalEntry.objects.get().pk
    assert sorted(LedgerAccount.objects.values_list("balance_cents", flat=True)) == [-1234, 1234]


def test_posting_a_source_again_is_three_statements_and_moves_nothing(django_assert_num_queries):
    expense, payable = expense_and_payable(ProgramFactory(), ParticipantFactory())
    first = _post(expense, payable, 500)

    # The insert that found the key taken, the stored entry and its postings to compare.
    with django_assert_num_queries(3):
        again = _post(expense, payable, 500)

    assert again.pk == first.pk
    assert sorted(LedgerAccount.objects.values_list("balance_cents", flat=True)) == [-500, 500]


def test_an_account_in_the_transactions_cache_costs_no_query(django_assert_num_queries):
    participant = ParticipantFactory()
    cache = operations.AccountCache()
    payable = operations.account_for(
        kind="PARTICIPANT_PAYABLE", currency="USD", participant=participant, now=NOW, cache=cache
    )

    with django_assert_num_queries(0):
        cached = operations.account_for(
            kind="PARTICIPANT_PAYABLE",
            currency="USD",
            participant=participant,
            now=NOW,
            cache=cache,
        )

    assert cached.pk == payable.pk
    assert LedgerAccount.objects.count() == 1


def test_an_account_that_is_not_there_is_refused_and_nothing_is_posted():
    expense, payable = expense_and_payable(ProgramFactory(), ParticipantFactory())
    # What a cache could hold after the transaction that created the account rolled back.
    vanished = LedgerAccount(pk=payable.pk + 1000, kind="PARTICIPANT_PAYABLE", currency="USD")

    # Raised after the entry was written, so the caller's savepoint takes it back.
    with (
        pytest.raises(operations.PostingInvalid, match="1 of the entry's accounts"),
        transaction.atomic(),
    ):
        _post(expense, vanished, 700)

    assert JournalEntry.objects.count() == 0
    assert set(LedgerAccount.objects.values_list("balance_cents", flat=True)) == {0}
