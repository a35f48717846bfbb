"""Only released statements are paid, and a payout names the statements it paid.

July 2025 as in the statements tests: 310.000 kWh peak x $0.30 = $93.00 and 58.900 kWh
off-peak x $0.05 = $2.945 -> $2.95; the statement is $95.95 = 9595 cents.
"""

import datetime as dt

import pytest

from accounts import roles
from settlement.payouts import operations, queries
from settlement.payouts.models import Payout
from settlement.statements.models import Statement
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

pytestmark = pytest.mark.django_db(transaction=True)
JULY = dt.date(2025, 7, 1)
NOW = dt.datetime.now(dt.UTC)


def test_an_approved_statement_waits_for_release_then_is_paid_and_named(
    tmp_path, staff_roles, settings
):
    settings.STRIPE_SECRET_KEY = ""
    program = make_program()
    participant, _ = enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 31, peak_or_off_peak(2000, 100)))
    run_command("settle", "--program", program.code, "--period", "2025-07")
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])
    statement = Statement.objects.get()
    decisions.approve(statement=statement, actor=approver, reason="matches the meter", now=NOW)

    held = operations.run_payouts(now=NOW)

    assert (held.created, Payout.objects.count()) == (0, 0)

    decisions.release(
        statement=Statement.objects.get(), actor=approver, reason="month closed", now=NOW
    )
    paid = operations.run_payouts(now=NOW)

    payout = Payout.objects.get()
    assert (paid.created, payout.amount_cents, payout.participant) == (1, 9_595, participant)
    assert [s.pk for s in queries.statements_paid_by(payout=payout)] == [statement.pk]
    assert operations.run_payouts(now=NOW).created == 0
