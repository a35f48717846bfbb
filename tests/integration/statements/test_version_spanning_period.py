"""Fixed items and the minimum/maximum bound apply once per settlement period, however many
tariff versions it spans (on SQLite and on PostgreSQL alike).

Both tariffs price Peak 16:00-21:00 local every day and Off-peak otherwise, with a monthly
"Participation credit" of +$5.00 (a month counts when its first day is in the period) and
a daily "Metering fee" of -$0.10; every figure below is worked out by hand.
"""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Program
from settlement.rating.tariff import FixedItem, TouTariff
from settlement.statements.models import Statement
from settlement.statements.periods import Period
from settlement.statements.runs import operations
from settlement.tariffs import definitions
from settlement.tariffs.models import TariffVersion
from tests.settlement_fixtures import (
    CREATED,
    LA,
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
    tou_tariff,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
FIXED = (
    FixedItem("Participation credit", Decimal("5.00"), "month"),
    FixedItem("Metering fee", Decimal("-0.10"), "day"),
)


def _bounded(peak: str, **bounds: Decimal) -> TouTariff:
    plain = tou_tariff(peak=Decimal(peak))
    return TouTariff(
        time_zone=plain.time_zone,
        periods=plain.periods,
        weekday_schedule=plain.weekday_schedule,
        weekend_schedule=plain.weekend_schedule,
        fixed_items=FIXED,
        **bounds,
    )


def _program_with_versions(first: TouTariff, second: TouTariff, change: dt.date) -> Program:
    program = make_program(tariff=first)
    version = TariffVersion.objects.get()
    version.effective_to = change
    version.save(update_fields=["effective_to"])
    TariffVersion.objects.create(
        plan=version.plan,
        version=2,
        kind="TOU",
        definition=definitions.to_json(second),
        effective_from=change,
        source_format="URDB",
        source_sha256="1" * 64,
        created_at=CREATED,
    )
    return program


def _settle(program: Program, start: dt.date, end: dt.date) -> Statement:
    run = operations.start_run(
        program=program,
        period=Period(start=start, end=end, time_zone=LA),
        run_type="INITIAL",
        started_by=None,
        now=NOW,
    )
    run = operations.settle_inline(run=run, now=NOW)
    assert run.status == "COMPLETED", run.error
    return Statement.objects.get(run=run)


def _lines(statement: Statement) -> list[tuple[str, str, Decimal, Decimal]]:
    return [
        (line.kind, line.label, line.kwh, line.amount)
        for line in statement.lines.order_by("number")
    ]


def test_a_mid_month_correction_caps_the_month_once(tmp_path):
    # v1 prices July 1-15, v2 (Peak corrected to $0.40) July 16-31; both cap the total at
    # $50.00. 2.000 kWh every peak hour, 0.100 kWh every other hour.
    #   v1 Peak     15 x 5 x 2.000 = 150.000 kWh x 0.30 = 45.00
    #   v1 Off-peak 15 x 19 x 0.100 = 28.500 kWh x 0.05 = 1.425 -> 1.43
    #   v2 Peak     16 x 5 x 2.000 = 160.000 kWh x 0.40 = 64.00
    #   v2 Off-peak 16 x 19 x 0.100 = 30.400 kWh x 0.05 = 1.52
    #   Participation credit 1 month x 5.00 = 5.00; Metering fee 31 days x -0.10 = -3.10
    #   Sum 113.85 > 50.00: one cap of -63.85, total 50.00. (Capped per version it would be
    #   49.93 (v1 under the cap) + 50.00 (v2: 63.92 capped) = 99.93.)
    program = _program_with_versions(
        _bounded("0.30", maximum_total=Decimal("50.00")),
        _bounded("0.40", maximum_total=Decimal("50.00")),
        dt.date(2025, 7, 16),
    )
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", dt.date(2025, 7, 1), 31, peak_or_off_peak(2000, 100)))

    statement = _settle(program, dt.date(2025, 7, 1), dt.date(2025, 8, 1))

    assert _lines(statement) == [
        ("EXPORT_ENERGY", "v1 Off-peak", Decimal("28.500"), Decimal("1.43")),
        ("EXPORT_ENERGY", "v1 Peak", Decimal("150.000"), Decimal("45.00")),
        ("EXPORT_ENERGY", "v2 Off-peak", Decimal("30.400"), Decimal("1.52")),
        ("EXPORT_ENERGY", "v2 Peak", Decimal("160.000"), Decimal("64.00")),
        ("FIXED", "Participation credit", Decimal("0.000"), Decimal("5.00")),
        ("FIXED", "Metering fee", Decimal("0.000"), Decimal("-3.10")),
        ("BOUND", "Maximum total cap", Decimal("0.000"), Decimal("-63.85")),
    ]
    assert statement.total == Decimal("50.00")
    first, second = TariffVersion.objects.order_by("version")
    versions = dict(statement.lines.values_list("label", "tariff_version_id"))
    assert versions["v1 Peak"] == first.pk
    assert versions["v2 Peak"] == second.pk
    assert versions["Maximum total cap"] == first.pk


def test_a_custom_period_across_new_year_tops_up_to_the_minimum_once(tmp_path):
    # One version per year (v1 ends 2026-01-01), both with a minimum total of $15.00; the
    # period is [2025-12-15, 2026-01-15). 0.100 kWh every hour.
    #   v1 Dec 15-31, 17 days: Peak 8.500 kWh x 0.30 = 2.55; Off-peak 32.300 x 0.05 = 1.615 -> 1.62
    #   v2 Jan 1-14, 14 days:  Peak 7.000 kWh x 0.30 = 2.10; Off-peak 26.600 x 0.05 = 1.33
    #   Participation credit: one month begins in the period (January) = 5.00
    #   Metering fee: 31 days x -0.10 = -3.10
    #   Sum 9.50 < 15.00: one top-up of 5.50, total 15.00. (Per version: v1 2.55 + 1.62 -
    #   1.70 = 2.47 -> +12.53; v2 2.10 + 1.33 + 5.00 - 1.40 = 7.03 -> +7.97; total 30.00.)
    program = _program_with_versions(
        _bounded("0.30", minimum_total=Decimal("15.00")),
        _bounded("0.30", minimum_total=Decimal("15.00")),
        dt.date(2026, 1, 1),
    )
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", dt.date(2025, 12, 15), 31, lambda local: 100))

    statement = _settle(program, dt.date(2025, 12, 15), dt.date(2026, 1, 15))

    assert _lines(statement) == [
        ("EXPORT_ENERGY", "v1 Off-peak", Decimal("32.300"), Decimal("1.62")),
        ("EXPORT_ENERGY", "v1 Peak", Decimal("8.500"), Decimal("2.55")),
        ("EXPORT_ENERGY", "v2 Off-peak", Decimal("26.600"), Decimal("1.33")),
        ("EXPORT_ENERGY", "v2 Peak", Decimal("7.000"), Decimal("2.10")),
        ("FIXED", "Participation credit", Decimal("0.000"), Decimal("5.00")),
        ("FIXED", "Metering fee", Decimal("0.000"), Decimal("-3.10")),
        ("BOUND", "Minimum total top-up", Decimal("0.000"), Decimal("5.50")),
    ]
    assert statement.total == Decimal("15.00")
