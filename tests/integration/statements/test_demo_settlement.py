"""The demo data set includes a settled month: one statement approved, posted and released."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from settlement.ledger import queries as ledger_queries
from settlement.rating.money import to_cents
from settlement.statements.models import SettlementRun, Statement
from tests.settlement_fixtures import run_command

pytestmark = pytest.mark.django_db


def test_the_demo_settles_july_once_and_approves_and_releases_owner_one():
    first, second = StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    assert json.loads(first.getvalue())["settlement"] == json.loads(second.getvalue())["settlement"]
    run = SettlementRun.objects.get()
    # 20 owners are in the export program (every fifth is in the event program).
    assert (run.program.code, run.status, run.statements.count()) == ("nbt-export", "COMPLETED", 20)
    approved = Statement.objects.get(state="RELEASED")
    assert approved.participant.email == "owner01@example.com"
    assert approved.total > 0
    # The approval posted the total (the payouts demo has paid it out since).
    assert ledger_queries.posted_cents_for_source(
        source_type="statement", source_id=str(approved.pk), account_kind="PROGRAM_EXPENSE"
    ) == to_cents(approved.total)
    # The rest of July has no readings: every statement states it and waits for review.
    assert Statement.objects.filter(state="NEEDS_REVIEW").count() == 19
    assert run_command("check_ledger") == (0, {"ok": True, "violations": []})
