"""On PostgreSQL the database refuses to change what review and settlement wrote."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from accounts import roles
from settlement.statements.models import Statement, StatementLine, StatementTransition
from settlement.statements.review import decisions
from tests.factories import UserFactory
from tests.settlement_fixtures import (
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
    run_command,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the triggers exist only on PostgreSQL"
    ),
]
NOW = dt.datetime(2025, 8, 5, tzinfo=dt.UTC)


@pytest.fixture
def approved(staff_roles, tmp_path) -> Statement:
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", dt.date(2025, 7, 1), 2, peak_or_off_peak(2000, 100)))
    run_command("settle", "--program", "nbt-export", "--period", "2025-07")
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])
    return decisions.approve(
        statement=Statement.objects.get(), actor=approver, reason="ok", now=NOW
    )


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE statements_statement SET total = total + 1 WHERE id = %s",
        "UPDATE statements_statement SET state = 'DRAFT' WHERE id = %s",
        "DELETE FROM statements_statement WHERE id = %s",
    ],
)
def test_an_approved_statement_cannot_be_edited_even_with_raw_sql(approved, sql):
    with pytest.raises(DatabaseError, match=r"cannot be changed|never deleted"):
        _raw(sql, [approved.pk])

    approved.refresh_from_db()
    assert (approved.state, str(approved.total)) == ("APPROVED", "6.19")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE statements_statementline SET amount = 0 WHERE statement_id = %s",
        "DELETE FROM statements_statementline WHERE statement_id = %s",
        "UPDATE statements_statementtransition SET reason = 'edited' WHERE statement_id = %s",
        "DELETE FROM statements_statementtransition WHERE statement_id = %s",
    ],
)
def test_lines_and_transitions_cannot_be_edited_or_deleted(approved, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(sql, [approved.pk])

    # Off-peak, Peak and the missing-data line (two days of readings in a 31-day month).
    assert StatementLine.objects.filter(statement=approved).count() == 3
    assert StatementTransition.objects.filter(statement=approved).count() == 2
