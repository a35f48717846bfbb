"""Estimated readings are held when the rule does not pay them, and paid by the
recalculation that sees their actual values."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts import roles
from settlement.statements.models import Statement
from settlement.statements.review import decisions
from tests.factories import UserFactory
from tests.settlement_fixtures import (
    PEAK_HOURS,
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


def _estimated_on_july_2_peak(local):
    return "ESTIMATED" if local.day == 2 and local.hour in PEAK_HOURS else ""


def test_held_estimates_are_paid_by_the_recalculation_that_sees_actuals(staff_roles, tmp_path):
    program = make_program(pay_estimated=False)
    enroll(program, "olivia@example.com", "RM-1")
    # Two days; July 2's five peak hours (5 x 2.000 kWh) are estimated.
    ingest_rows(
        tmp_path,
        hourly_rows("RM-1", JULY, 2, peak_or_off_peak(2000, 100), _estimated_on_july_2_peak),
    )
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])

    run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    initial = Statement.objects.get()
    held = initial.lines.get(kind="HELD_ESTIMATED")
    assert (held.kwh, held.amount) == (Decimal("10.000"), Decimal("0.00"))
    assert "estimated_held" in initial.flags
    # Paid now: July 1 peak 10.000 kWh x 0.30 = 3.00; off-peak 2 x 19 x 0.1 x 0.05 = 0.19.
    assert initial.total == Decimal("3.19")
    decisions.approve(statement=initial, actor=approver, reason="hold the estimates", now=NOW)

    # The actual values arrive: the same 2.000 kWh per hour, now ACTUAL.
    ingest_rows(
        tmp_path,
        hourly_rows("RM-1", JULY, 2, peak_or_off_peak(2000, 100)),
        name="actuals.csv",
    )
    code, summary = run_command(
        "settle", "--program", "nbt-export", "--period", "2025-07", "--type", "recalculation"
    )

    assert code == 0
    adjustment = Statement.objects.get(run_id=summary["run_id"])
    adjustments = adjustment.lines.filter(kind="ADJUSTMENT")
    # The Peak line grows by the 10.000 held kWh: +$3.00; nothing else changes.
    assert [(line.kwh, line.amount) for line in adjustments] == [
        (Decimal("10.000"), Decimal("3.00"))
    ]
    assert not adjustment.lines.filter(kind="HELD_ESTIMATED").exists()
    assert adjustment.total == Decimal("3.00")


def test_estimates_are_priced_when_the_rule_pays_them(tmp_path):
    program = make_program(pay_estimated=True)
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(
        tmp_path,
        hourly_rows("RM-1", JULY, 2, peak_or_off_peak(2000, 100), _estimated_on_july_2_peak),
    )

    run_command("settle", "--program", "nbt-export", "--period", "2025-07")

    statement = Statement.objects.get()
    assert not statement.lines.filter(kind="HELD_ESTIMATED").exists()
    # 2 days x 10.000 kWh x 0.30 = 6.00 + 0.19 off-peak.
    assert statement.total == Decimal("6.19")
