"""The demo data set includes a settled month: one statement approved, posted and released."""

import json
from decimal import Decimal
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
    run = SettlementRun.objects.get(program__code="nbt-export")
    # 20 owners are in the export program (every fifth is in the event program).
    assert (run.program.code, run.status, run.statements.count()) == ("nbt-export", "COMPLETED", 20)
    approved = Statement.objects.get(run=run, state="RELEASED")
    assert approved.participant.email == "owner01@example.com"
    assert approved.total > 0
    # The approval posted the total (the payouts demo has paid it out since).
    assert ledger_queries.posted_cents_for_source(
        source_type="statement", source_id=str(approved.pk), account_kind="PROGRAM_EXPENSE"
    ) == to_cents(approved.total)
    # The rest of July has no readings: every statement states it and waits for review.
    assert Statement.objects.filter(run=run, state="NEEDS_REVIEW").count() == 19
    assert run_command("check_ledger") == (0, {"ok": True, "violations": []})


def test_the_demo_settles_the_event_program_and_pays_owner_ones_two_events():
    """owner01's car exports 8 kWh an hour in each July event (17:00-19:00) and 200 Wh an
    hour at those times on ordinary days, so the baseline net load is -200 Wh an hour (the
    day-of adjustment stays at 1.00: the hours before each event look like the baseline):
    (8000 - 200) x 2 h = 15.6 kWh x $2.00 = $31.20 per event, $62.40 for July."""
    call_command("seed_demo", stdout=StringIO())

    run = SettlementRun.objects.get(program__code="elrp-v2g")
    statement = Statement.objects.get(run=run, participant__email="owner01@example.com")
    assert statement.state == "APPROVED"
    assert [
        (line.kind, line.label, line.amount) for line in statement.lines.order_by("number")
    ] == [
        (
            "EVENT_INCREMENTAL",
            (
                f"Delivered 15.6 kWh more than your usual use during the {day} Jul grid event "
                "at $2.00/kWh"
            ),
            Decimal("31.20"),
        )
        for day in (22, 29)
    ]
    assert statement.total == Decimal("62.40")
    # The owner who declined both offers is owed nothing: a zero statement.
    declined = Statement.objects.get(run=run, participant__email="owner15@example.com")
    assert (declined.total, declined.lines.count()) == (Decimal("0.00"), 0)
