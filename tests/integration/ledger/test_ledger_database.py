"""The database itself keeps the ledger balanced and append-only (PostgreSQL triggers),
and `check_ledger` finds what was forced past them."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from settlement.ledger.models import LedgerAccount, Posting
from tests.factories import ParticipantFactory, ProgramFactory
from tests.integration.ledger.helpers import post_approval

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist only on PostgreSQL"
)


def _check_ledger() -> tuple[int, dict]:
    out = StringIO()
    try:
        call_command("check_ledger", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


@on_postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount_cents = amount_cents + 1",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_journalentry SET memo = 'edited'",
        "DELETE FROM ledger_journalentry",
    ],
)
def test_raw_sql_cannot_change_or_delete_entries_or_postings(statement):
    entry = post_approval(ProgramFactory(), ParticipantFactory(), 700)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert sorted(Posting.objects.filter(entry=entry).values_list("amount_cents", flat=True)) == [
        -700,
        700,
    ]


@on_postgres
def test_an_unbalanced_posting_inserted_with_raw_sql_fails_at_commit():
    entry = post_approval(ProgramFactory(), ParticipantFactory(), 700)
    account_id = entry.postings.values_list("account_id", flat=True)[0]

    with (
        pytest.raises(DatabaseError, match="does not balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount_cents) VALUES (%s, %s, 5)",
            [entry.pk, account_id],
        )
        # What COMMIT would do: run the deferred constraint triggers now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert Posting.objects.filter(entry=entry).count() == 2


@on_postgres
def test_an_entry_without_postings_fails_at_commit():
    with (
        pytest.raises(DatabaseError, match="fewer than two postings"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_journalentry "
            "(kind, currency, source_type, source_id, memo, posted_at) "
            "VALUES ('CORRECTION', 'USD', 'test', '1', '', now())"
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _force(sql: str, params: list) -> None:
    """Write past the triggers, as a superuser restoring a broken dump could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE needs the deferred checks of earlier inserts run first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE ledger_posting DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE ledger_posting ENABLE TRIGGER USER")


def test_check_ledger_is_ok_on_a_sound_ledger():
    post_approval(ProgramFactory(), ParticipantFactory(), 700)

    assert _check_ledger() == (0, {"ok": True, "violations": []})


def test_check_ledger_finds_an_injected_imbalance():
    entry = post_approval(ProgramFactory(), ParticipantFactory(), 700)
    account_id = entry.postings.values_list("account_id", flat=True)[0]
    _force(
        "INSERT INTO ledger_posting (entry_id, account_id, amount_cents) VALUES (%s, %s, 5)",
        [entry.pk, account_id],
    )

    status, report = _check_ledger()

    assert status == 1
    assert report["ok"] is False
    checks = {(item["check"], item["ref"]) for item in report["violations"]}
    # The extra 5 cents unbalance the entry and make the account's balance disagree.
    assert checks == {
        ("entry_balances", f"journal_entry:{entry.pk}"),
        ("balance_equals_postings", f"ledger_account:{account_id}"),
    }


def test_check_ledger_finds_a_balance_that_drifted_from_its_postings():
    participant = ParticipantFactory()
    post_approval(ProgramFactory(), participant, 700)
    payable = LedgerAccount.objects.get(kind="PARTICIPANT_PAYABLE", participant=participant)
    LedgerAccount.objects.filter(pk=payable.pk).update(balance_cents=-800)

    status, report = _check_ledger()

    assert status == 1
    assert [item["check"] for item in report["violations"]] == ["balance_equals_postings"]
