"""`settle`: a program-month of readings becomes one statement per participant."""

import datetime as dt
from decimal import Decimal

import pytest

from settlement.programs.models import RuleSet
from settlement.statements.models import SettlementRun, Statement
from settlement.tariffs.models import TariffVersion
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


def test_a_month_of_hourly_exports_is_priced_by_period(tmp_path):
    program = make_program()
    participant, _ = enroll(program, "olivia@example.com", "RM-1")
    # 31 days x 5 peak hours x 2.000 kWh = 310.000 kWh x $0.30 = $93.00;
    # 31 days x 19 off-peak hours x 0.100 kWh = 58.900 kWh x $0.05 = $2.945 -> $2.95.
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 31, peak_or_off_peak(2000, 100)))

    code, summary = run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    assert code == 0
    run = SettlementRun.objects.get()
    assert summary == {
        "run_id": run.pk,
        "program": "nbt-export",
        "period_start": "2025-07-01",
        "period_end": "2025-08-01",
        "type": "initial",
        "status": "completed",
        "sequence": 1,
        "started_by": None,
        "started_automatically": False,
        "statements": 1,
        "total": "95.95",
        "flagged": 0,
        "not_settleable": 0,
        "chunks": 1,
        "inputs_sha256": run.inputs_sha256,
        "result_sha256": run.result_sha256,
        "error": "",
    }
    statement = Statement.objects.get()
    assert statement.participant == participant
    assert statement.state == "DRAFT"
    lines = [
        (line.kind, line.label, line.kwh, line.price, line.amount)
        for line in statement.lines.order_by("number")
    ]
    assert lines == [
        ("EXPORT_ENERGY", "Off-peak", Decimal("58.900"), Decimal("0.05000"), Decimal("2.95")),
        ("EXPORT_ENERGY", "Peak", Decimal("310.000"), Decimal("0.30000"), Decimal("93.00")),
    ]
    # The version used is locked through the end of the period it priced.
    version = TariffVersion.objects.get()
    assert version.locked_through == dt.date(2025, 8, 1)
    rule_set = RuleSet.objects.get()
    assert rule_set.locked_through == dt.date(2025, 8, 1)
    assert run.inputs["rule_versions"] == [f"rule {rule_set.rules.get().pk} of rules v1"]
    assert [item["id"] for item in run.inputs["tariff_versions"]] == [version.pk]
    assert len(run.inputs_sha256) == 64


def test_the_peak_line_names_its_readings_by_natural_key(tmp_path):
    program = make_program()
    _, channel = enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 2, peak_or_off_peak(2000, 100)))

    run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    peak = Statement.objects.get().lines.get(label="Peak")
    # Two days of 16:00-21:00 PDT (23:00-04:00 UTC), five hourly readings of revision 1 each.
    first_day = int(dt.datetime(2025, 7, 1, 23, tzinfo=dt.UTC).timestamp())
    second_day = int(dt.datetime(2025, 7, 2, 23, tzinfo=dt.UTC).timestamp())
    assert peak.lineage == [
        [channel.pk, first_day, 3600, 5, 1],
        [channel.pk, second_day, 3600, 5, 1],
    ]


def test_missing_hours_are_stated_and_flagged_never_priced_as_zero(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    # Only the first 30 days arrive: July 31 (24 h) is missing.
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 30, peak_or_off_peak(2000, 100)))

    code, summary = run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    assert code == 0
    statement = Statement.objects.get()
    assert statement.state == "NEEDS_REVIEW"
    assert "missing_data" in statement.flags
    missing = statement.lines.get(kind="MISSING_DATA")
    assert missing.amount == Decimal("0.00")
    assert missing.detail["missing_seconds"] == 24 * 3600
    assert "24 h" in missing.label
    # 30 x 10 kWh x 0.30 = 90.00; 30 x 1.9 kWh x 0.05 = 2.85.
    assert statement.total == Decimal("92.85")
    assert summary["flagged"] == 1


def test_a_participant_without_readings_gets_a_not_settleable_line(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")

    code, summary = run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    assert code == 0
    line = Statement.objects.get().lines.get()
    assert line.kind == "NOT_SETTLEABLE"
    assert line.label == (
        "Not settleable: no readings for RM-1/SITE_EXPORT from 2025-07-01 to 2025-08-01"
    )
    assert summary["not_settleable"] == 1
    assert summary["total"] == "0.00"


def test_exports_of_zero_give_a_zero_statement(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 31, lambda local: 0))

    run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    statement = Statement.objects.get()
    assert statement.total == Decimal("0.00")
    assert statement.flags == []
    assert set(statement.lines.values_list("kind", flat=True)) == {"EXPORT_ENERGY"}


def test_a_site_in_another_zone_than_the_program_is_refused_clearly(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1", timezone="America/New_York")

    code, output = run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    assert code == 2
    assert output["error"]["code"] == "zone_mismatch"
    assert "America/New_York" in output["error"]["message"]
    assert SettlementRun.objects.count() == 0


def test_a_second_initial_run_is_refused(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    code, output = run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    assert code == 2
    assert output["error"]["code"] == "run_not_allowed"
    assert SettlementRun.objects.count() == 1
