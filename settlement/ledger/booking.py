"""Every money movement the service books, one typed function per movement.

This is the only caller of `operations.post_entry` (an import-linter contract says so): each
function names the two accounts, the entry's kind, its source and its memo, so a movement is
written once and reads the same from every path that makes it.

It lives in the ledger because the ledger sits below statements and payouts and cannot see
their models: callers pass what the entry is about as ids, owners, a currency and integer
cents. Rounding a statement's Decimal total to cents stays with the statement.
"""

from datetime import date, datetime

from accounts.models import Participant, Program
from settlement.ledger import operations
from settlement.ledger.models import JournalEntry, LedgerAccount

# Accounts fetched once per transaction that books many entries (a bulk approval).
AccountCache = operations.AccountCache

SOURCE_STATEMENT = "statement"
SOURCE_PAYOUT = "payout"
SOURCE_RETURN = "payout_return"


def _participant_account(
    *,
    kind: str,
    participant: Participant,
    currency: str,
    now: datetime,
    cache: AccountCache | None = None,
) -> LedgerAccount:
    return operations.account_for(
        kind=kind, currency=currency, participant=participant, now=now, cache=cache
    )


def _payable(
    participant: Participant, currency: str, now: datetime, cache: AccountCache | None = None
) -> LedgerAccount:
    return _participant_account(
        kind=LedgerAccount.Kind.PARTICIPANT_PAYABLE,
        participant=participant,
        currency=currency,
        now=now,
        cache=cache,
    )


def _receivable(
    participant: Participant, currency: str, now: datetime, cache: AccountCache | None = None
) -> LedgerAccount:
    return _participant_account(
        kind=LedgerAccount.Kind.PARTICIPANT_RECEIVABLE,
        participant=participant,
        currency=currency,
        now=now,
        cache=cache,
    )


def _in_transit(participant: Participant, currency: str, now: datetime) -> LedgerAccount:
    return _participant_account(
        kind=LedgerAccount.Kind.PAYOUTS_IN_TRANSIT,
        participant=participant,
        currency=currency,
        now=now,
    )


def _provider_cash(*, currency: str, now: datetime) -> LedgerAccount:
    return operations.account_for(kind=LedgerAccount.Kind.PROVIDER_CASH, currency=currency, now=now)


def _post(
    *,
    kind: str,
    source_type: str,
    source_id: int,
    currency: str,
    debit: LedgerAccount,
    credit: LedgerAccount,
    cents: int,
    memo: str,
    now: datetime,
) -> JournalEntry:
    return operations.post_entry(
        kind=kind,
        source_type=source_type,
        source_id=str(source_id),
        currency=currency,
        postings=[
            operations.PostingSpec(account=debit, amount_cents=cents),
            operations.PostingSpec(account=credit, amount_cents=-cents),
        ],
        memo=memo,
        now=now,
    )


def book_statement_approval(
    *,
    statement_id: int,
    run_id: int,
    period_start: date,
    program: Program,
    participant: Participant,
    currency: str,
    cents: int,
    now: datetime,
    accounts: AccountCache | None = None,
) -> JournalEntry | None:
    """Return the entry booking an approved statement's total, or None for a zero total.

    Program expense -> participant payable; a negative total is owed back and goes to the
    participant's receivable instead, to reduce the next payout (never a clawback).
    Idempotent by statement. `accounts` (one per transaction) spares a bulk approval the
    program's expense account lookup for every statement.
    """
    if cents == 0:
        return None
    expense = operations.account_for(
        kind=LedgerAccount.Kind.PROGRAM_EXPENSE,
        currency=currency,
        program=program,
        now=now,
        cache=accounts,
    )
    counter = (_payable if cents > 0 else _receivable)(participant, currency, now, accounts)
    return _post(
        kind=JournalEntry.Kind.STATEMENT_APPROVAL,
        source_type=SOURCE_STATEMENT,
        source_id=statement_id,
        currency=currency,
        debit=expense,
        credit=counter,
        cents=cents,
        memo=f"{program.code} {period_start:%Y-%m} run {run_id}",
        now=now,
    )


def book_receivable_offset(
    *, payout_id: int, participant: Participant, currency: str, cents: int, now: datetime
) -> JournalEntry:
    """Return the entry netting what the participant owes back against what they are owed.

    Participant payable -> participant receivable, once per payout.
    """
    return _post(
        kind=JournalEntry.Kind.RECEIVABLE_OFFSET,
        source_type=SOURCE_PAYOUT,
        source_id=payout_id,
        currency=currency,
        debit=_payable(participant, currency, now),
        credit=_receivable(participant, currency, now),
        cents=cents,
        memo=f"receivable netted by payout {payout_id}",
        now=now,
    )


def book_payout_sent(
    *,
    payout_id: int,
    participant: Participant,
    currency: str,
    cents: int,
    method: str,
    now: datetime,
) -> JournalEntry:
    """Return the entry moving a new payout's amount out of payable: payable -> in transit."""
    return _post(
        kind=JournalEntry.Kind.PAYOUT_SENT,
        source_type=SOURCE_PAYOUT,
        source_id=payout_id,
        currency=currency,
        debit=_payable(participant, currency, now),
        credit=_in_transit(participant, currency, now),
        cents=cents,
        memo=f"payout {payout_id} ({method})",
        now=now,
    )


def book_payout_paid(
    *,
    payout_id: int,
    participant: Participant,
    currency: str,
    cents: int,
    memo: str,
    now: datetime,
) -> JournalEntry:
    """Return the entry for a payout that reached the participant: in transit -> cash.

    `memo` names what confirmed it (a Stripe transfer, a confirmed bill-credit file).
    """
    return _post(
        kind=JournalEntry.Kind.PAYOUT_PAID,
        source_type=SOURCE_PAYOUT,
        source_id=payout_id,
        currency=currency,
        debit=_in_transit(participant, currency, now),
        credit=_provider_cash(currency=currency, now=now),
        cents=cents,
        memo=memo,
        now=now,
    )


def book_payout_failed(
    *,
    payout_id: int,
    participant: Participant,
    currency: str,
    cents: int,
    message: str,
    now: datetime,
) -> JournalEntry:
    """Return the entry putting a refused payout's amount back: in transit -> payable."""
    return _post(
        kind=JournalEntry.Kind.PAYOUT_FAILED,
        source_type=SOURCE_PAYOUT,
        source_id=payout_id,
        currency=currency,
        debit=_in_transit(participant, currency, now),
        credit=_payable(participant, currency, now),
        cents=cents,
        memo=f"payout {payout_id} failed: {message}",
        now=now,
    )


def book_transfer_reversed(
    *,
    return_id: int,
    participant: Participant,
    currency: str,
    cents: int,
    stripe_object_id: str,
    now: datetime,
) -> JournalEntry:
    """Return the entry for a transfer reversal: the money came back to the platform.

    Cash -> participant payable, once per return: the participant is owed it again. A bank
    return on a connected account books nothing (the money stays in their Stripe balance).
    """
    return _post(
        kind=JournalEntry.Kind.PAYOUT_REVERSED,
        source_type=SOURCE_RETURN,
        source_id=return_id,
        currency=currency,
        debit=_provider_cash(currency=currency, now=now),
        credit=_payable(participant, currency, now),
        cents=cents,
        memo=f"transfer reversed {stripe_object_id}",
        now=now,
    )
