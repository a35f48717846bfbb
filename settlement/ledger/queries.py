"""Reads of the ledger: balances in the sign a person expects, entries by source, invariants.

Balances are returned in integer cents, positive in the account's natural direction: what
a participant is owed (payable), what they owe (receivable), what is on its way to them
(in transit).
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Participant, Program
from settlement.ledger.models import JournalEntry, LedgerAccount, Posting


class Violation(TypedDict):
    """One broken invariant, as `check_ledger` prints it."""

    check: str
    message: str
    ref: str


def _balance(*, kind: str, currency: str, **owner: object) -> int:
    balance = (
        LedgerAccount.objects.filter(kind=kind, currency=currency, **owner)
        .values_list("balance_cents", flat=True)
        .first()
    )
    return int(balance or 0)


def account_balance_cents(*, account: LedgerAccount) -> int:
    """Return the account's stored debit-positive balance (credits make it negative)."""
    return int(
        LedgerAccount.objects.filter(pk=account.pk).values_list("balance_cents", flat=True)[0]
    )


def participant_payable_cents(*, participant: Participant, currency: str) -> int:
    """Return what the ledger owes the participant in `currency` (approved, not yet paid out)."""
    return -_balance(
        kind=LedgerAccount.Kind.PARTICIPANT_PAYABLE, currency=currency, participant=participant
    )


def participant_receivable_cents(*, participant: Participant, currency: str) -> int:
    """Return what the participant owes back (negative recalculations), to net on payout."""
    return _balance(
        kind=LedgerAccount.Kind.PARTICIPANT_RECEIVABLE, currency=currency, participant=participant
    )


def participant_net_payable_cents(*, participant: Participant, currency: str) -> int:
    """Return payable minus receivable: the most a payout to the participant may be now."""
    return participant_payable_cents(
        participant=participant, currency=currency
    ) - participant_receivable_cents(participant=participant, currency=currency)


def participant_in_transit_cents(*, participant: Participant, currency: str) -> int:
    """Return what was sent to the participant and not yet confirmed paid or failed."""
    return -_balance(
        kind=LedgerAccount.Kind.PAYOUTS_IN_TRANSIT, currency=currency, participant=participant
    )


def program_expense_cents(*, program: Program, currency: str) -> int:
    """Return the program's booked expense (approved statements, net of negative ones)."""
    return _balance(kind=LedgerAccount.Kind.PROGRAM_EXPENSE, currency=currency, program=program)


def entries_for_source(*, source_type: str, source_id: str) -> QuerySet[JournalEntry]:
    """Return the entries posted for one source, oldest first."""
    return JournalEntry.objects.filter(source_type=source_type, source_id=source_id).order_by(
        "posted_at", "pk"
    )


def posted_cents_for_source(*, source_type: str, source_id: str, account_kind: str) -> int:
    """Return the debit-positive sum a source posted to accounts of `account_kind`."""
    total = Posting.objects.filter(
        entry__source_type=source_type,
        entry__source_id=source_id,
        account__kind=account_kind,
    ).aggregate(total=Coalesce(Sum("amount_cents"), Value(0)))["total"]
    return int(total)


@dataclass(frozen=True)
class MoneyOut:
    """What the ledger says went out to one participant in one currency, in cents."""

    participant_id: int
    currency: str
    # Payouts confirmed (a Stripe transfer, a confirmed bill-credit file or manual payment).
    paid_cents: int
    # Payouts on their way: out of payable, not yet confirmed or failed.
    in_transit_cents: int
    # What the participant owed back (negative statements) and a payout netted.
    netted_receivable_cents: int


def money_out() -> dict[tuple[int, str], MoneyOut]:
    """Return per (participant id, currency) what the ledger says was paid, sent and netted.

    Every participant with a payout or a netted receivable is listed. Reversals are left to
    the payouts, which know which booked return really brought money back.
    """
    sums: dict[tuple[int, str], dict[tuple[str, str], int]] = defaultdict(dict)
    rows = (
        Posting.objects.filter(
            account__participant__isnull=False,
            account__kind__in=[
                LedgerAccount.Kind.PAYOUTS_IN_TRANSIT,
                LedgerAccount.Kind.PARTICIPANT_RECEIVABLE,
            ],
            entry__kind__in=[
                JournalEntry.Kind.PAYOUT_SENT,
                JournalEntry.Kind.PAYOUT_PAID,
                JournalEntry.Kind.PAYOUT_FAILED,
                JournalEntry.Kind.RECEIVABLE_OFFSET,
            ],
        )
        .values_list("account__participant_id", "account__currency", "account__kind", "entry__kind")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    for participant_id, currency, account_kind, entry_kind, total in rows:
        sums[(int(participant_id), str(currency))][(account_kind, entry_kind)] = int(total)
    found = {}
    for (participant_id, currency), by_kind in sorted(sums.items()):
        in_transit = LedgerAccount.Kind.PAYOUTS_IN_TRANSIT
        # Signs: in transit is credited when a payout is sent and debited when it is paid or
        # failed; netting credits receivable.
        found[(participant_id, currency)] = MoneyOut(
            participant_id=participant_id,
            currency=currency,
            paid_cents=by_kind.get((in_transit, JournalEntry.Kind.PAYOUT_PAID), 0),
            in_transit_cents=-sum(
                cents for (account, _), cents in by_kind.items() if account == in_transit
            ),
            netted_receivable_cents=-by_kind.get(
                (LedgerAccount.Kind.PARTICIPANT_RECEIVABLE, JournalEntry.Kind.RECEIVABLE_OFFSET),
                0,
            ),
        )
    return found


def violations() -> list[Violation]:
    """Return every broken ledger invariant (empty when the ledger is sound).

    Checks: each entry has two or more postings summing to zero, all in its currency; each
    account's stored balance equals the sum of its postings; every entry names a source.
    """
    found: list[Violation] = []
    unbalanced = (
        JournalEntry.objects.annotate(
            total=Coalesce(Sum("postings__amount_cents"), Value(0)), count=Count("postings")
        )
        .filter(Q(count__lt=2) | ~Q(total=0))
        .order_by("pk")
        .values_list("pk", "total", "count")
    )
    found.extend(
        Violation(
            check="entry_balances",
            message=f"entry {pk} has {count} postings summing to {total} cents",
            ref=f"journal_entry:{pk}",
        )
        for pk, total, count in unbalanced
    )
    foreign = (
        Posting.objects.exclude(account__currency=F("entry__currency"))
        .order_by("pk")
        .values_list("pk", "entry_id")
    )
    found.extend(
        Violation(
            check="posting_currency",
            message=f"posting {pk} of entry {entry_id} is on an account of another currency",
            ref=f"posting:{pk}",
        )
        for pk, entry_id in foreign
    )
    sums = (
        Posting.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(total=Sum("amount_cents"))
        .values("total")
    )
    drifted = (
        LedgerAccount.objects.annotate(posted=Coalesce(Subquery(sums), Value(0)))
        .exclude(balance_cents=F("posted"))
        .order_by("pk")
        .values_list("pk", "balance_cents", "posted")
    )
    found.extend(
        Violation(
            check="balance_equals_postings",
            message=f"account {pk} holds {balance} cents but its postings sum to {posted}",
            ref=f"ledger_account:{pk}",
        )
        for pk, balance, posted in drifted
    )
    sourceless = (
        JournalEntry.objects.filter(Q(source_type="") | Q(source_id=""))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    found.extend(
        Violation(
            check="posting_has_source",
            message=f"entry {pk} and its postings name no source",
            ref=f"journal_entry:{pk}",
        )
        for pk in sourceless
    )
    return found
