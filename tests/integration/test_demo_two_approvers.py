"""The demo has two approvers, so the fleet's statement that needs two can be finished."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from settlement.statements.models import Statement
from settlement.statements.review import decisions

pytestmark = pytest.mark.django_db


def test_the_demo_approvers_finish_the_fleets_statement():
    call_command("seed_demo", stdout=StringIO())
    statement = (
        Statement.objects.filter(participant__email="fleet@valley-usd.example.org")
        .exclude(state__in=["APPROVED", "RELEASED", "VOIDED"])
        .order_by("-total")
        .first()
    )
    assert statement is not None
    assert decisions.approvals_needed(statement=statement) == 2
    first = User.objects.get(email="approver@utility.example.com")
    second = User.objects.get(email="approver2@utility.example.com")

    decisions.approve(statement=statement, actor=first, reason="Checked", now=timezone.now())
    statement.refresh_from_db()
    assert statement.state != "APPROVED"
    decisions.approve(statement=statement, actor=second, reason="Checked", now=timezone.now())

    statement.refresh_from_db()
    assert statement.state == "APPROVED"
