"""A bulk approval is one transaction; a refused statement is untouched; each costs a few queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import Participant, User
from settlement.ledger import queries as ledger_queries
from settlement.ledger.models import JournalEntry
from settlement.statements.models import (
    ProgramSettlementSettings,
    SettlementRun,
    Statement,
    StatementTransition,
)
from settlement.statements.review import decisions
from tests.factories import UserFactory
from tests.settlement_fixtures import make_program

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)


def _run_of(totals: list[str], *, program_code: str = "nbt-export") -> list[Statement]:
    # Two approvers from $50.00; one completed run, one participant per statement.
    program = make_program(program_code)
    ProgramSettlementSettings.objects.create(program=program, two_approver_amount=Decimal("50"))
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
    return [
        Statement.objects.create(
            run=run,
            participant=Participant.objects.create(
                kind="INDIVIDUAL",
                name=f"Owner {number}",
                email=f"{program_code}-{number}@example.com",
                created_at=NOW,
            ),
            currency="USD",
            total=Decimal(total),
            content_sha256="0" * 64,
            created_at=NOW,
        )
        for number, total in enumerate(totals)
    ]


def _approver(staff_roles: dict[str, object]) -> User:
    user = UserFactory(email="avery@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.APPROVER])
    return User.objects.get(pk=user.pk)


def _queue(statements: list[Statement]) -> list[Statement]:
    return list(
        Statement.objects.filter(pk__in=[statement.pk for statement in statements])
        .select_related("run__program", "participant")
        .order_by("pk")
    )


def test_a_refused_statement_leaves_the_others_approved_and_itself_untouched(staff_roles):
    first, refused, last = _run_of(["12.34", "95.95", "7.60"])
    avery = _approver(staff_roles)
    # Avery gave the $95.95 its first of two approvals: Avery cannot give the second.
    decisions.approve(statement=refused, actor=avery, reason="first look", now=NOW)
    transitions_before = list(
        StatementTransition.objects.filter(statement=refused).values_list("pk", flat=True)
    )

    outcome = decisions.approve_clean(
        statements=_queue([first, refused, last]), actor=avery, reason="clean run", now=NOW
    )

    assert [statement.pk for statement in outcome.approved] == [first.pk, last.pk]
    assert outcome.awaiting_second == []
    assert [(item.statement.pk, item.code) for item in outcome.skipped] == [
        (refused.pk, "maker_checker")
    ]
    assert Statement.objects.get(pk=first.pk).state == "APPROVED"
    assert Statement.objects.get(pk=last.pk).state == "APPROVED"
    untouched = Statement.objects.get(pk=refused.pk)
    assert (untouched.state, untouched.approved_at) == ("DRAFT", None)
    assert (
        list(StatementTransition.objects.filter(statement=refused).values_list("pk", flat=True))
        == transitions_before
    )
    assert sorted(JournalEntry.objects.values_list("source_id", flat=True)) == sorted(
        [str(first.pk), str(last.pk)]
    )
    assert ledger_queries.program_expense_cents(program=first.run.program, currency="USD") == 1994
    assert ledger_queries.violations() == []


def _queries_of_bulk_approval(totals: list[str], *, program_code: str, actor_id: int) -> int:
    statements = _run_of(totals, program_code=program_code)
    # A fresh user each time: Django caches permissions on the instance.
    actor = User.objects.get(pk=actor_id)
    with CaptureQueriesContext(connection) as captured:
        outcome = decisions.approve_clean(
            statements=_queue(statements), actor=actor, reason="clean run", now=NOW
        )
    assert len(outcome.approved) == len(totals)
    return len(captured.captured_queries)


def test_each_more_statement_in_a_bulk_approval_costs_the_same_few_statements(staff_roles):
    avery = _approver(staff_roles)

    one = _queries_of_bulk_approval(["1.00"], program_code="one", actor_id=avery.pk)
    four = _queries_of_bulk_approval(
        ["1.00", "2.00", "3.00", "4.00"], program_code="four", actor_id=avery.pk
    )

    # Per statement: its transition, its state, its new payable account, then the entry with
    # its postings and both balances in one statement (SQLite: the account is a read, then an
    # insert in a savepoint; the entry three statements). No savepoint per statement. The
    # locks, earlier approvals, role, settings and the expense account are read once per
    # batch, not per statement.
    per_statement = 4 if connection.vendor == "postgresql" else 9
    assert four - one == 3 * per_statement
