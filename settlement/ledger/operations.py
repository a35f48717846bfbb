"""Writes to the ledger: accounts on first use, and balanced, idempotent journal entries.

`post_entry` is the only way money moves. It checks on every database what PostgreSQL
also enforces at COMMIT (a deferred constraint trigger): at least two postings, each a
non-zero integer of cents on an account of the entry's currency, summing to zero.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F

from accounts.models import Participant, Program
from settlement.errors import DomainError
from settlement.ledger.models import JournalEntry, LedgerAccount, Posting


class EntryUnbalanced(DomainError):
    """The postings of an entry do not sum to zero, or there are fewer than two."""

    code = "ledger_entry_unbalanced"


class PostingInvalid(DomainError):
    """A posting is not a non-zero integer of cents on an account of the entry's currency."""

    code = "ledger_posting_invalid"


class SourceRequired(DomainError):
    """An entry must say what it is about (source type and id)."""

    code = "ledger_source_required"


class EntryConflict(DomainError):
    """An entry for this source was already posted with other postings."""

    code = "ledger_entry_conflict"
    http_status = 409


@dataclass(frozen=True)
class PostingSpec:
    """One side of an entry to post: cents on an account, debit positive, credit negative."""

    account: LedgerAccount
    amount_cents: int


def account_for(
    *,
    kind: str,
    currency: str,
    now: datetime,
    program: Program | None = None,
    participant: Participant | None = None,
) -> LedgerAccount:
    """Return the ledger account of `kind` in `currency` for its owner, created on first use.

    PROGRAM_EXPENSE needs `program`; participant kinds need `participant`; PROVIDER_CASH
    neither. Raises PostingInvalid for an owner that does not match the kind.
    """
    if kind not in LedgerAccount.Kind.values:
        raise PostingInvalid(f"unknown ledger account kind {kind!r}", details={"field": "kind"})
    needs_program = kind == LedgerAccount.Kind.PROGRAM_EXPENSE
    needs_participant = kind in {
        LedgerAccount.Kind.PARTICIPANT_PAYABLE,
        LedgerAccount.Kind.PARTICIPANT_RECEIVABLE,
        LedgerAccount.Kind.PAYOUTS_IN_TRANSIT,
    }
    if (program is not None) != needs_program or (participant is not None) != needs_participant:
        raise PostingInvalid(
            f"a {kind} account belongs to "
            + (
                "a program" if needs_program else "a participant" if needs_participant else "no one"
            ),
            details={"field": "kind"},
        )
    account, _ = LedgerAccount.objects.get_or_create(
        kind=kind,
        currency=currency,
        program=program,
        participant=participant,
        defaults={"created_at": now},
    )
    return account


def _validate(
    *, source_type: str, source_id: str, currency: str, postings: Sequence[PostingSpec]
) -> None:
    if not source_type or not source_id:
        raise SourceRequired(
            "a journal entry needs a source type and id", details={"field": "source_type"}
        )
    if len(postings) < 2:
        raise EntryUnbalanced(
            f"a journal entry needs at least two postings, got {len(postings)}",
            details={"field": "postings"},
        )
    for index, posting in enumerate(postings):
        amount = posting.amount_cents
        # bool is an int in Python; True cents is a bug, not one cent.
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise PostingInvalid(
                f"posting {index}: amount must be a non-zero integer of cents, got {amount!r}",
                details={"field": f"postings[{index}].amount_cents"},
            )
        if posting.account.currency != currency:
            raise PostingInvalid(
                f"posting {index}: account {posting.account} is not in {currency}",
                details={"field": f"postings[{index}].account"},
            )
    total = sum(posting.amount_cents for posting in postings)
    if total != 0:
        raise EntryUnbalanced(
            f"postings sum to {total} cents, not 0", details={"field": "postings", "sum": total}
        )


def _same_postings(entry: JournalEntry, postings: Sequence[PostingSpec]) -> bool:
    stored = Counter(entry.postings.values_list("account_id", "amount_cents"))
    asked = Counter((posting.account.pk, posting.amount_cents) for posting in postings)
    return stored == asked


def post_entry(
    *,
    kind: str,
    source_type: str,
    source_id: str,
    currency: str,
    postings: Sequence[PostingSpec],
    memo: str = "",
    now: datetime,
) -> JournalEntry:
    """Return the journal entry for this source, posting it (and moving balances) if new.

    Idempotent by (kind, source_type, source_id): the same postings again return the stored
    entry unchanged. Runs in its own transaction (a savepoint inside the caller's).
    Raises SourceRequired, EntryUnbalanced, PostingInvalid, or EntryConflict when the source
    was posted with different postings.
    """
    if kind not in JournalEntry.Kind.values:
        raise PostingInvalid(f"unknown journal entry kind {kind!r}", details={"field": "kind"})
    _validate(source_type=source_type, source_id=source_id, currency=currency, postings=postings)
    with transaction.atomic():
        # Locking the accounts in one order serializes entries that touch them (and two
        # posts of the same source), without deadlocks between concurrent posts.
        account_ids = sorted({posting.account.pk for posting in postings})
        list(LedgerAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk"))
        existing = JournalEntry.objects.filter(
            kind=kind, source_type=source_type, source_id=source_id
        ).first()
        if existing is not None:
            if existing.currency != currency or not _same_postings(existing, postings):
                raise EntryConflict(
                    f"{kind} for {source_type} {source_id} was already posted differently",
                    details={"entry_id": existing.pk},
                )
            return existing
        entry = JournalEntry.objects.create(
            kind=kind,
            currency=currency,
            source_type=source_type,
            source_id=source_id,
            memo=memo[:300],
            posted_at=now,
        )
        Posting.objects.bulk_create(
            Posting(entry=entry, account=posting.account, amount_cents=posting.amount_cents)
            for posting in postings
        )
        for posting in postings:
            LedgerAccount.objects.filter(pk=posting.account.pk).update(
                balance_cents=F("balance_cents") + posting.amount_cents
            )
        return entry
