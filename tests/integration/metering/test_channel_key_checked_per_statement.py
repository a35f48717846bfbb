"""A load checks the reading->channel foreign key per statement, and only that key."""

import pytest
from django.db import IntegrityError, connection, transaction

from settlement.metering import store_postgres

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deferred keys"),
]

# A reading of a channel that does not exist (the upload column has no database key).
ORPHAN_READING = (
    "INSERT INTO metering_reading (channel_id, start, duration_s, wh, quality, source, "
    "revision, upload_id, received_at) "
    "VALUES (987654321, now(), 900, 5, 'ACTUAL', 'UTILITY', 1, 1, now())"
)


def test_a_missing_channel_fails_the_statement_that_writes_it_not_the_commit():
    with transaction.atomic(), connection.cursor() as cursor:
        store_postgres._check_channels_per_statement(cursor)

        with pytest.raises(IntegrityError, match="channel"), transaction.atomic():
            cursor.execute(ORPHAN_READING)


def test_without_it_the_same_statement_passes_and_only_the_commit_fails():
    # The control: what Django's DEFERRABLE INITIALLY DEFERRED key does on its own.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ORPHAN_READING)
        with pytest.raises(IntegrityError, match="channel"):
            # What COMMIT would do, inside the test's transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)


def test_the_ledger_checks_in_the_same_transaction_stay_deferred():
    with transaction.atomic(), connection.cursor() as cursor:
        store_postgres._check_channels_per_statement(cursor)
        # An entry without postings yet: its trigger (at least two postings) runs at COMMIT,
        # so this statement passes; were every constraint made immediate, it would raise.
        cursor.execute(
            "INSERT INTO ledger_journalentry (kind, currency, source_type, source_id, "
            "memo, posted_at) VALUES ('CORRECTION', 'USD', 'test', '1', '', now())"
        )
        transaction.set_rollback(True)
