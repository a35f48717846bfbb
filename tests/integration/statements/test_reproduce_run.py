"""`reproduce_run RUN_ID`: a run computed again from exactly the reading revisions, tariff
versions and rules it recorded gives the same statements byte for byte; a tampered line or
recorded input does not, and the difference is named."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from accounts import roles
from settlement.statements.models import SettlementRun, Statement, StatementLine
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

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)
NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
# 2025-07-10 17:00 PDT, a peak hour.
REVISED_HOUR = dt.datetime(2025, 7, 11, 0, tzinfo=dt.UTC)


def _revise(tmp_path, wh: int) -> None:
    end = REVISED_HOUR + dt.timedelta(hours=1)
    summary = ingest_rows(
        tmp_path,
        [f"RM-1,{REVISED_HOUR.isoformat()},{end.isoformat()},{wh},,"],
        name=f"revision-{wh}.csv",
    )
    assert summary["revised"] == 1, summary


@pytest.fixture
def initial_run(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    enroll(program, "noah@example.com", "RM-2")
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 31, peak_or_off_peak(2000, 100)))
    ingest_rows(tmp_path, hourly_rows("RM-2", JULY, 31, peak_or_off_peak(1000, 50)), name="rm2.csv")
    code, summary = run_command("settle", "--program", "nbt-export", "--period", "2025-07")
    assert code == 0, summary
    return SettlementRun.objects.get(pk=summary["run_id"])


def test_a_fresh_run_is_reproduced(initial_run):
    code, verdict = run_command("reproduce_run", str(initial_run.pk))

    assert code == 0
    assert verdict == {
        "run_id": initial_run.pk,
        "reproduced": True,
        "inputs_sha256_recorded": initial_run.inputs_sha256,
        "inputs_sha256_recomputed": initial_run.inputs_sha256,
        "result_sha256_recorded": initial_run.result_sha256,
        "result_sha256_recomputed": initial_run.result_sha256,
        "first_difference": None,
    }


def test_later_revisions_do_not_change_what_the_run_read(initial_run, tmp_path, staff_roles):
    # Olivia's July 10 17:00 reading is revised twice after the initial run, and a
    # recalculation is settled and approved: the initial run still reproduces from revision 1.
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])
    for statement in Statement.objects.filter(run=initial_run):
        decisions.approve(statement=statement, actor=approver, reason="ok", now=NOW)
    _revise(tmp_path, 2500)
    code, summary = run_command(
        "settle", "--program", "nbt-export", "--period", "2025-07", "--type", "recalculation"
    )
    assert code == 0, summary
    recalculation = SettlementRun.objects.get(pk=summary["run_id"])
    (adjustment,) = Statement.objects.filter(run=recalculation)
    decisions.approve(statement=adjustment, actor=approver, reason="meter fix", now=NOW)
    _revise(tmp_path, 3000)

    _, first = run_command("reproduce_run", str(initial_run.pk))
    _, second = run_command("reproduce_run", str(recalculation.pk))

    assert first["reproduced"] is True, first
    assert second["reproduced"] is True, second
    # The recalculation booked +0.500 kWh x $0.30 against what the initial run had booked,
    # and reproducing it (after its own approval) still sees only the runs before it.
    assert adjustment.total == Decimal("0.15")


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL's triggers refuse the tampering"
)
def test_a_tampered_line_is_named(initial_run):
    line = StatementLine.objects.get(
        statement__run=initial_run, label="Peak", kwh=Decimal("310.000")
    )
    StatementLine.objects.filter(pk=line.pk).update(amount=Decimal("93.01"))

    code, verdict = run_command("reproduce_run", str(initial_run.pk))

    assert code == 1
    assert verdict["reproduced"] is False
    # The recomputed statements still hash as recorded; the stored line is what differs.
    assert verdict["result_sha256_recomputed"] == verdict["result_sha256_recorded"]
    assert verdict["first_difference"] == {
        "statement_id": line.statement_id,
        "participant_id": line.statement.participant_id,
        "line": line.number,
        "field": "amount",
        "recorded": "93.01",
        "recomputed": "93.00",
    }


def test_a_changed_recorded_revision_is_an_input_difference(initial_run):
    # Say the run read revision 2 of Olivia's readings: there is no such revision, so the
    # readings loaded are not the ones recorded and the input hash no longer agrees.
    inputs = initial_run.inputs
    olivia = Statement.objects.get(run=initial_run, lines__label="Peak", total=Decimal("95.95"))
    entry = inputs["participants"][str(olivia.participant_id)]
    entry["readings"] = [[*run[:4], 2] for run in entry["readings"]]
    SettlementRun.objects.filter(pk=initial_run.pk).update(inputs=inputs)

    code, verdict = run_command("reproduce_run", str(initial_run.pk))

    assert code == 1
    assert verdict["reproduced"] is False
    assert verdict["inputs_sha256_recomputed"] != verdict["inputs_sha256_recorded"]
    assert verdict["first_difference"]["participant_id"] == olivia.participant_id


def test_an_unknown_run_is_a_clear_error():
    code, answer = run_command("reproduce_run", "999999")

    assert code == 2
    assert answer["error"]["code"] == "run_not_found"
