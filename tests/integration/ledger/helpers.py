"""Accounts and entries the ledger tests post with."""

from datetime import UTC, datetime

from accounts.models import Participant, Program
from settlement.ledger import operations
from settlement.ledger.models import JournalEntry, LedgerAccount

NOW = datetime(2025, 9, 3, 12, tzinfo=UTC)


def expense_and_payable(
    program: Program, participant: Participant, currency: str = "USD"
) -> tuple[LedgerAccount, LedgerAccount]:
    expense = operations.account_for(
        kind="PROGRAM_EXPENSE", currency=currency, program=program, now=NOW
    )
    payable = operations.account_for(
        kind="PARTICIPANT_PAYABLE", currency=currency, participant=participant, now=NOW
    )
    return expense, payable


def post_approval(
    program: Program, participant: Participant, cents: int, source_id: str = "1"
) -> JournalEntry:
    expense, payable = expense_and_payable(program, participant)
    return operations.post_entry(
        kind="STATEMENT_APPROVAL",
        # Not "statement": these entries stand alone, no statement row behind them.
        source_type="test-approval",
        source_id=source_id,
        currency="USD",
        postings=[
            operations.PostingSpec(account=expense, amount_cents=cents),
            operations.PostingSpec(account=payable, amount_cents=-cents),
        ],
        memo="test approval",
        now=NOW,
    )
