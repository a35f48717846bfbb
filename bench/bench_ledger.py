"""Benchmark the ledger's posting rate on PostgreSQL against a plain INSERT of the same rows.

BENCH_SCALE x 10,000 statements of one completed run, each of its own participant, are
approved through the real path: the run's clean statements in one bulk approval
(`review.decisions.approve_clean` over `review_queue`, as the API and the staff page call it:
one transaction, a savepoint per statement; role and maker-checker checks, row locks,
transition, then `ledger.booking.book_statement_approval`, which creates the participant's
payable account on first use and posts one balanced entry of two postings, moving both
balances, under the append-only and deferred balance triggers, checked at the commit).
Then `book_statement_approval` alone books as many entries again, for a second program, to the
same participants' payable accounts (now existing), in one transaction with one account cache,
as the bulk approval does.

Beside each, the same entries and postings (same accounts, same amounts) are written by plain
INSERTs into two bare tables of the same columns, grouped in the same transactions: all of a
run's entries in one transaction, each entry an INSERT of its row and one INSERT of its two
postings. Prints `ledger_entries_per_s` (approvals booked per second),
`ledger_booking_entries_per_s` (entries booked per second by the booking alone),
`ledger_insert_entries_per_s`, `ledger_vs_insert_time_ratio` (approval time / plain-insert
time), `ledger_booking_vs_insert_time_ratio` and `ledger_entries`.

Database: `v2g_bench_ledger` (or BENCH_DATABASE) on DATABASE_URL's PostgreSQL server
(default 127.0.0.1:5432), dropped and created anew and migrated here: never the database
DATABASE_URL names.
"""

import datetime as dt
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import psycopg

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
STATEMENTS = max(int(10_000 * SCALE), 2)
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/v2g_bench_ledger"


def _database_url() -> str:
    # Always a database of its own (it is dropped and made anew), on DATABASE_URL's server.
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    base = url.rsplit("/", 1)[0]
    name = os.environ.get("BENCH_DATABASE") or DEFAULT_URL.rsplit("/", 1)[1]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


os.environ["DATABASE_URL"] = _database_url()
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts import operations as account_operations  # noqa: E402
from accounts import roles as account_roles  # noqa: E402
from accounts.models import Participant, User  # noqa: E402
from settlement.ledger import booking  # noqa: E402
from settlement.ledger.models import JournalEntry, Posting  # noqa: E402
from settlement.rating.money import to_cents  # noqa: E402
from settlement.statements.models import (  # noqa: E402
    ProgramSettlementSettings,
    SettlementRun,
    Statement,
)
from settlement.statements.review import decisions  # noqa: E402
from settlement.statements.review import queries as statement_queries  # noqa: E402
from tests.settlement_fixtures import make_program  # noqa: E402

NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)

PLAIN_TABLES = """
DROP TABLE IF EXISTS bench_entry, bench_posting;
CREATE TABLE bench_entry (
    id bigserial PRIMARY KEY, kind varchar(24) NOT NULL, currency varchar(3) NOT NULL,
    source_type varchar(40) NOT NULL, source_id varchar(64) NOT NULL,
    memo varchar(300) NOT NULL, posted_at timestamptz NOT NULL
);
CREATE TABLE bench_posting (
    id bigserial PRIMARY KEY, entry_id bigint NOT NULL, account_id bigint NOT NULL,
    amount_cents bigint NOT NULL
);
"""


def _setup() -> list[Statement]:
    call_command("migrate", verbosity=0)
    program = make_program("bench-ledger")
    # One approver suffices for every statement: the bench measures booking, not quorum.
    ProgramSettlementSettings.objects.create(
        program=program, two_approver_amount=Decimal("1000000.00")
    )
    run = SettlementRun.objects.create(
        program=program,
        period_start=dt.date(2025, 7, 1),
        period_end=dt.date(2025, 8, 1),
        type=SettlementRun.Type.INITIAL,
        status=SettlementRun.Status.COMPLETED,
        sequence=1,
        started_at=NOW,
        completed_at=NOW,
    )
    participants = Participant.objects.bulk_create(
        Participant(kind="INDIVIDUAL", name=f"P {n}", email=f"p{n}@example.com", created_at=NOW)
        for n in range(STATEMENTS)
    )
    # Totals from $0.01 up, never zero (a zero total books nothing).
    return Statement.objects.bulk_create(
        Statement(
            run=run,
            participant=participant,
            currency="USD",
            total=Decimal(1 + number % 50_000).scaleb(-2),
            content_sha256="0" * 64,
            created_at=NOW,
        )
        for number, participant in enumerate(participants)
    )


def _approver() -> User:
    groups = account_operations.ensure_staff_roles()
    user = User.objects.create_user("avery@utility.example.com", is_staff=True, date_joined=NOW)
    user.groups.add(groups[account_roles.APPROVER])
    return User.objects.get(pk=user.pk)


def _plain_inserts(entry_ids: list[int]) -> float:
    # The same entries and postings, read back from the ledger, written with plain INSERTs
    # in one transaction, as the ledger wrote them.
    entries = list(
        JournalEntry.objects.filter(pk__in=entry_ids)
        .order_by("pk")
        .values_list("pk", "kind", "currency", "source_type", "source_id", "memo", "posted_at")
    )
    postings: dict[int, list[int]] = {}
    for entry_id, account_id, cents in (
        Posting.objects.filter(entry_id__in=entry_ids)
        .order_by("pk")
        .values_list("entry_id", "account_id", "amount_cents")
    ):
        postings.setdefault(entry_id, []).extend((account_id, cents))
    with connection.cursor() as cursor:
        cursor.execute(PLAIN_TABLES)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for entry_id, *fields in entries:
            cursor.execute(
                "INSERT INTO bench_entry (kind, currency, source_type, source_id, memo, "
                "posted_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                fields,
            )
            (new_id,) = cursor.fetchone()
            # An approval's entry has two postings: one INSERT of both rows, as the ledger's.
            debit_account, debit, credit_account, credit = postings[entry_id]
            cursor.execute(
                "INSERT INTO bench_posting (entry_id, account_id, amount_cents) "
                "VALUES (%s, %s, %s), (%s, %s, %s)",
                [new_id, debit_account, debit, new_id, credit_account, credit],
            )
    return time.perf_counter() - started


def _book_alone(statements: list[Statement]) -> tuple[float, list[int]]:
    # A second program's expense, to the payable accounts the approvals created; source ids
    # past the statements' so that each is a new entry, not an idempotent replay.
    program = make_program("bench-ledger-booking")
    offset = 10 * STATEMENTS
    started = time.perf_counter()
    with transaction.atomic():
        accounts = booking.AccountCache()
        booked = [
            booking.book_statement_approval(
                statement_id=offset + statement.pk,
                run_id=statement.run_id,
                period_start=dt.date(2025, 7, 1),
                program=program,
                participant=statement.participant,
                currency="USD",
                cents=to_cents(statement.total),
                now=NOW,
                accounts=accounts,
            )
            for statement in statements
        ]
    seconds = time.perf_counter() - started
    return seconds, [entry.pk for entry in booked if entry is not None]


def main() -> None:
    statements = _setup()
    approver = _approver()
    run_id = statements[0].run_id
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    outcome = decisions.approve_clean(
        statements=statement_queries.review_queue(user=approver, run_id=run_id),
        actor=approver,
        reason="bench",
        now=NOW,
    )
    ledger_seconds = time.perf_counter() - started
    entries = JournalEntry.objects.count()
    if len(outcome.approved) != STATEMENTS or entries != STATEMENTS:
        raise SystemExit(f"{entries} entries booked for {STATEMENTS} approvals")
    approval_entry_ids = list(JournalEntry.objects.values_list("pk", flat=True))
    approved = list(Statement.objects.filter(run_id=run_id).select_related("participant"))
    booking_seconds, booking_entry_ids = _book_alone(approved)
    if len(booking_entry_ids) != STATEMENTS or Posting.objects.count() != 4 * STATEMENTS:
        raise SystemExit(f"{len(booking_entry_ids)} entries booked for {STATEMENTS} bookings")
    insert_seconds = _plain_inserts(approval_entry_ids)
    booking_insert_seconds = _plain_inserts(booking_entry_ids)
    print(
        json.dumps(
            {
                "ledger_entries_per_s": round(entries / ledger_seconds, 1),
                "ledger_booking_entries_per_s": round(STATEMENTS / booking_seconds, 1),
                "ledger_insert_entries_per_s": round(entries / insert_seconds, 1),
                "ledger_vs_insert_time_ratio": round(ledger_seconds / insert_seconds, 2),
                "ledger_booking_vs_insert_time_ratio": round(
                    booking_seconds / booking_insert_seconds, 2
                ),
                "ledger_entries": entries,
            }
        )
    )


if __name__ == "__main__":
    main()
