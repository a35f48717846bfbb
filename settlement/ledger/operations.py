"""Writes to the ledger: accounts on first use, and balanced, idempotent journal entries.

`post_entry` is the only way money moves. It checks on every database what PostgreSQL
also enforces at COMMIT (a deferred constraint trigger): at least two postings, each a
non-zero integer of cents on an account of the entry's currency, summing to zero.

Round trips are what a posting costs (docs/performance.md, "Ledger postings"): a new entry
is one statement on PostgreSQL (the entry, its postings and both balances; three elsewhere),
an account one, and an account already in the caller's `AccountCache` none.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case, F, Value, When

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


AccountKey = tuple[str, str, int | None, int | None]


@dataclass
class AccountCache:
    """Accounts already fetched or created in one transaction, by (kind, currency, owners).

    Give one to every `account_for` of a transaction that books many entries (a bulk
    approval) and drop it with the transaction: an account is never deleted, but one created
    inside a transaction that rolls back is gone, so a cache must not outlive it.
    """

    accounts: dict[AccountKey, LedgerAccount] = field(default_factory=dict)


# One round trip on PostgreSQL: the account is inserted, or the existing one (a partial
# unique index per owner kind) selected. ON CONFLICT without a target covers all three
# indexes; the SELECT half does not see a row another transaction committed after this
# statement began, so an empty answer is read again (`_owned_account`).
_UPSERT_ACCOUNT = """
    WITH inserted AS (
        INSERT INTO ledger_ledgeraccount
            (kind, currency, program_id, participant_id, balance_cents, created_at)
        VALUES (%s, %s, %s, %s, 0, %s)
        ON CONFLICT DO NOTHING
        RETURNING id, kind, currency, program_id, participant_id, balance_cents, created_at
    )
    SELECT * FROM inserted
    UNION ALL
    SELECT id, kind, currency, program_id, participant_id, balance_cents, created_at
    FROM ledger_ledgeraccount
    WHERE kind = %s AND currency = %s AND {owner}
"""
_OWNER = {
    "program": "program_id = %s AND participant_id IS NULL",
    "participant": "participant_id = %s AND program_id IS NULL",
    "none": "program_id IS NULL AND participant_id IS NULL",
}


def _owned_account(
    *,
    kind: str,
    currency: str,
    now: datetime,
    program: Program | None,
    participant: Participant | None,
) -> LedgerAccount:
    if connection.vendor != "postgresql":
        account, _ = LedgerAccount.objects.get_or_create(
            kind=kind,
            currency=currency,
            program=program,
            participant=participant,
            defaults={"created_at": now},
        )
        return account
    owner, owner_params = (
        ("program", [program.pk])
        if program is not None
        else ("participant", [participant.pk])
        if participant is not None
        else ("none", [])
    )
    found = list(
        LedgerAccount.objects.raw(
            _UPSERT_ACCOUNT.format(owner=_OWNER[owner]),
            [
                kind,
                currency,
                program.pk if program else None,
                participant.pk if participant else None,
                now,
                kind,
                currency,
                *owner_params,
            ],
        )
    )
    if found:
        return found[0]
    # Created by a concurrent transaction after this statement's snapshot: read it now.
    return LedgerAccount.objects.get(
        kind=kind, currency=currency, program=program, participant=participant
    )


def account_for(
    *,
    kind: str,
    currency: str,
    now: datetime,
    program: Program | None = None,
    participant: Participant | None = None,
    cache: AccountCache | None = None,
) -> LedgerAccount:
    """Return the ledger account of `kind` in `currency` for its owner, created on first use.

    PROGRAM_EXPENSE needs `program`; participant kinds need `participant`; PROVIDER_CASH
    neither. With `cache`, an account already returned in this transaction costs no query.
    Raises PostingInvalid for an owner that does not match the kind.
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
    key = (
        kind,
        currency,
        program.pk if program is not None else None,
        participant.pk if participant is not None else None,
    )
    if cache is not None and key in cache.accounts:
        return cache.accounts[key]
    account = _owned_account(
        kind=kind, currency=currency, now=now, program=program, participant=participant
    )
    if cache is not None:
        cache.accounts[key] = account
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


# The idempotency key decides: a new source inserts its entry, a known one inserts nothing
# and returns no id (portable: PostgreSQL and SQLite both have ON CONFLICT and RETURNING).
_INSERT_ENTRY = """
    INSERT INTO ledger_journalentry (kind, currency, source_type, source_id, memo, posted_at)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (kind, source_type, source_id) DO NOTHING
    RETURNING id
"""

# The whole posting in one round trip on PostgreSQL: the entry (by its idempotency key), its
# postings and both balances, or nothing at all when the source was posted before (every
# step after the entry reads `entry`, which is then empty). The accounts are locked in id
# order, as every posting locks them, so two entries on the same accounts never deadlock.
# Answers the new entry's id (NULL for a known source) and how many balances moved.
_POST_ENTRY = """
    WITH entry AS (
        {insert_entry}
    ),
    posted AS (
        INSERT INTO ledger_posting (entry_id, account_id, amount_cents)
        SELECT entry.id, side.account_id, side.amount_cents
        FROM entry CROSS JOIN (VALUES {sides}) AS side (account_id, amount_cents)
        RETURNING 1
    ),
    locked AS MATERIALIZED (
        SELECT id FROM ledger_ledgeraccount
        WHERE id = ANY(%s::bigint[]) AND EXISTS (SELECT 1 FROM entry)
        ORDER BY id FOR UPDATE
    ),
    moved AS (
        UPDATE ledger_ledgeraccount AS account
        SET balance_cents = account.balance_cents + CASE account.id {cases} END
        FROM locked WHERE account.id = locked.id
        RETURNING 1
    )
    SELECT (SELECT id FROM entry), (SELECT COUNT(*) FROM moved), (SELECT COUNT(*) FROM posted)
"""


def _moves(postings: Sequence[PostingSpec]) -> dict[int, int]:
    moves: Counter[int] = Counter()
    for posting in postings:
        moves[posting.account.pk] += posting.amount_cents
    return {pk: moves[pk] for pk in sorted(moves)}


def _require_moved(moved: int, moves: dict[int, int]) -> None:
    if moved != len(moves):
        # An account that is not there (a stale object from a rolled-back transaction): the
        # postings would point at nothing and a balance would not move. Nothing commits.
        raise PostingInvalid(
            f"{len(moves) - moved} of the entry's accounts do not exist",
            details={"field": "postings"},
        )


# What `post_entry` binds: the entry's columns, account ids and cents, an array of ids.
_Param = str | int | datetime | list[int]


def _post_in_one_statement(*, values: list[_Param], postings: Sequence[PostingSpec]) -> int | None:
    """Post a new entry on PostgreSQL; return its id, or None when the source is known."""
    moves = _moves(postings)
    sql = _POST_ENTRY.format(
        insert_entry=_INSERT_ENTRY,
        sides=", ".join(["(%s::bigint, %s::bigint)"] * len(postings)),
        cases=" ".join(["WHEN %s THEN %s::bigint"] * len(moves)),
    )
    params: list[_Param] = [
        *values,
        *(value for posting in postings for value in (posting.account.pk, posting.amount_cents)),
        list(moves),
        *(value for pk, cents in moves.items() for value in (pk, cents)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        entry_id, moved, _ = cursor.fetchone()
    if entry_id is None:
        return None
    _require_moved(moved, moves)
    return int(entry_id)


def _post_in_three_statements(
    *, values: list[_Param], postings: Sequence[PostingSpec]
) -> int | None:
    """Post a new entry elsewhere (SQLite); return its id, or None when the source is known."""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ENTRY, values)
        inserted = cursor.fetchone()
    if inserted is None:
        return None
    Posting.objects.bulk_create(
        Posting(entry_id=inserted[0], account=posting.account, amount_cents=posting.amount_cents)
        for posting in postings
    )
    moves = _moves(postings)
    # SQLite locks the whole database for the writing transaction: no row locks needed.
    moved = LedgerAccount.objects.filter(pk__in=list(moves)).update(
        balance_cents=F("balance_cents")
        + Case(*(When(pk=pk, then=Value(cents)) for pk, cents in moves.items()))
    )
    _require_moved(moved, moves)
    return int(inserted[0])


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
    entry unchanged. All or nothing: inside the caller's transaction when there is one (its
    rollback takes the entry back), else in its own. Every refusal is raised before anything
    is written and leaves the caller's transaction usable; a database error inside it marks
    the caller's transaction for rollback (a caller that wants to go on after one gives the
    call a savepoint of its own, as a bulk approval does per statement).
    Raises SourceRequired, EntryUnbalanced, PostingInvalid, or EntryConflict when the source
    was posted with different postings.
    """
    if kind not in JournalEntry.Kind.values:
        raise PostingInvalid(f"unknown journal entry kind {kind!r}", details={"field": "kind"})
    _validate(source_type=source_type, source_id=source_id, currency=currency, postings=postings)
    text = memo[:300]
    existing: JournalEntry | None = None
    # No savepoint of its own: it would cost two round trips per entry, and nothing here
    # needs one (the refusal below is raised outside this block, after it wrote nothing).
    with transaction.atomic(savepoint=False):
        post = (
            _post_in_one_statement
            if connection.vendor == "postgresql"
            else _post_in_three_statements
        )
        entry_id = post(
            values=[kind, currency, source_type, source_id, text, now], postings=postings
        )
        if entry_id is None:
            # Posted before (or by a concurrent transaction that has just committed: the
            # unique index made this one wait for it).
            existing = JournalEntry.objects.get(
                kind=kind, source_type=source_type, source_id=source_id
            )
            same = existing.currency == currency and _same_postings(existing, postings)
    if existing is None:
        entry = JournalEntry(
            pk=entry_id,
            kind=kind,
            currency=currency,
            source_type=source_type,
            source_id=source_id,
            memo=text,
            posted_at=now,
        )
        # The row is stored: the instance is what a read would return, without the read.
        entry._state.adding = False
        entry._state.db = connection.alias
        return entry
    if not same:
        raise EntryConflict(
            f"{kind} for {source_type} {source_id} was already posted differently",
            details={"entry_id": existing.pk},
        )
    return existing
