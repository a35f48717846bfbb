"""A reading that crosses an edge of the settlement period is shared by time (docs/rating.md).

November 2025 in Los Angeles runs from 2025-11-01 00:00 PDT (07:00 UTC) to 2025-12-01
00:00 PST (08:00 UTC): 30 days and the fall-back hour, 721 hours. The tariff prices Peak
16:00-21:00 local at $0.30/kWh and Off-peak at $0.05/kWh. Every figure is worked by hand.
"""

import datetime as dt
from decimal import Decimal

import pytest

from accounts import roles
from accounts.models import Program
from settlement.statements.models import Statement
from settlement.statements.periods import Period
from settlement.statements.review import decisions
from settlement.statements.runs import operations
from tests.factories import UserFactory
from tests.settlement_fixtures import (
    LA,
    ZONE,
    enroll,
    ingest_rows,
    make_program,
    peak_or_off_peak,
)

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
UTC = dt.UTC


def _row(start: dt.datetime, end: dt.datetime, wh: int) -> str:
    return f"RM-1,{start.astimezone(UTC).isoformat()},{end.astimezone(UTC).isoformat()},{wh},,"


def _november_rows() -> list[str]:
    # Before the period: a 2-hour reading 2025-10-31 23:00 PDT - 2025-11-01 01:00 PDT
    # (06:00-08:00 UTC), 1001 Wh. After it: 2025-11-30 23:00 PST - 2025-12-01 01:00 PST
    # (07:00-09:00 UTC), 1001 Wh. Between them one hourly reading per UTC hour, so the
    # fall-back day's 01:00 hour is read twice (01:00 PDT, then 01:00 PST).
    first = dt.datetime(2025, 10, 31, 23, tzinfo=ZONE)
    second = dt.datetime(2025, 11, 1, 1, tzinfo=ZONE)
    last = dt.datetime(2025, 11, 30, 23, tzinfo=ZONE)
    rows = [_row(first, second, 1001)]
    hour_wh = peak_or_off_peak(2000, 100)
    moment = second.astimezone(UTC)
    while moment < last.astimezone(UTC):
        following = moment + dt.timedelta(hours=1)
        rows.append(_row(moment, following, hour_wh(moment.astimezone(ZONE))))
        moment = following
    rows.append(_row(last, last + dt.timedelta(hours=2), 1001))
    return rows


def _settle(program: Program, start: dt.date, end: dt.date, run_type: str = "INITIAL") -> Statement:
    run = operations.start_run(
        program=program,
        period=Period(start=start, end=end, time_zone=LA),
        run_type=run_type,
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


def test_readings_across_both_edges_and_a_dst_change_are_shared_by_time(tmp_path):
    # Given the readings above: the edge readings share 1001 Wh over 2 hours by
    # cumulative(t) = round_half_up(1001 x t / 7200):
    #   Oct 31 23:00 PDT reading: cumulative(3600) = 500.5 -> 501 Wh in October, so
    #     November's share (00:00-01:00 PDT Nov 1, Off-peak) is 1001 - 501 = 500 Wh.
    #   Nov 30 23:00 PST reading: November's share (23:00-24:00 PST, Off-peak) is
    #     cumulative(3600) = 501 Wh; December gets 1001 - 501 = 500 Wh.
    # November, 721 hours: Peak 30 days x 5 h = 150 h x 2000 Wh = 300.000 kWh x $0.30 = $90.00.
    # Off-peak 721 - 150 = 571 h: the two edge hours (500 + 501 Wh) and 569 hourly readings
    # x 100 Wh = 56,900 Wh (both 01:00 hours of Nov 2 among them): 57,901 Wh = 57.901 kWh
    # x $0.05 = $2.89505 -> $2.90 (half-up, once). Total $92.90, no hour missing.
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, _november_rows())

    november = _settle(program, dt.date(2025, 11, 1), dt.date(2025, 12, 1))

    assert _lines(november) == [
        ("EXPORT_ENERGY", "Off-peak", Decimal("57.901"), Decimal("2.90")),
        ("EXPORT_ENERGY", "Peak", Decimal("300.000"), Decimal("90.00")),
    ]
    assert november.total == Decimal("92.90")

    # December prices the other 500 Wh of the last reading (00:00-01:00 PST Dec 1,
    # Off-peak): 0.500 kWh x $0.05 = $0.025 -> $0.03; the rest of December has no readings.
    december = _settle(program, dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    december_energy = [line for line in _lines(december) if line[0] == "EXPORT_ENERGY"]
    assert december_energy == [("EXPORT_ENERGY", "Off-peak", Decimal("0.500"), Decimal("0.03"))]

    # October prices its 501 Wh of the first reading: 0.501 kWh x $0.05 = $0.02505 -> $0.03.
    october = _settle(program, dt.date(2025, 10, 1), dt.date(2025, 11, 1))
    october_energy = [line for line in _lines(october) if line[0] == "EXPORT_ENERGY"]
    assert october_energy == [("EXPORT_ENERGY", "Off-peak", Decimal("0.501"), Decimal("0.03"))]


def test_a_recalculation_prices_only_the_in_period_share_of_revised_edge_readings(
    staff_roles, tmp_path
):
    # Given November settled and approved as above: Off-peak 57.901 kWh $2.90, Peak
    # 300.000 kWh $90.00 (the edge readings gave November 500 Wh and 501 Wh).
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, _november_rows())
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])
    initial = _settle(program, dt.date(2025, 11, 1), dt.date(2025, 12, 1))
    assert initial.total == Decimal("92.90")
    decisions.approve(statement=initial, actor=approver, reason="checked", now=NOW)

    # When both edge readings are revised (same meter and interval, new values):
    #   Oct 31 23:00 PDT - Nov 1 01:00 PDT, 1001 -> 2001 Wh: October's first 3600 s of
    #     7200 s take round_half_up(2001 x 3600 / 7200) = round_half_up(1000.5) = 1001 Wh,
    #     November keeps 2001 - 1001 = 1000 Wh (was 500: +500 Wh).
    #   Nov 30 23:00 PST - Dec 1 01:00 PST, 1001 -> 3001 Wh: November's first 3600 s of
    #     7200 s take round_half_up(3001 x 3600 / 7200) = round_half_up(1500.5) = 1501 Wh
    #     (was 501: +1000 Wh); December's 1500 Wh are not November's.
    revised = ingest_rows(
        tmp_path,
        [
            _row(
                dt.datetime(2025, 10, 31, 23, tzinfo=ZONE),
                dt.datetime(2025, 11, 1, 1, tzinfo=ZONE),
                2001,
            ),
            _row(
                dt.datetime(2025, 11, 30, 23, tzinfo=ZONE),
                dt.datetime(2025, 12, 1, 1, tzinfo=ZONE),
                3001,
            ),
        ],
        name="revised.csv",
    )
    assert revised["revised"] == 2
    recalculation = _settle(program, dt.date(2025, 11, 1), dt.date(2025, 12, 1), "RECALCULATION")

    # Then November's Off-peak is 57.901 + 1.500 = 59.401 kWh x $0.05 = $2.97005 -> $2.97
    # (half-up, once, on the fresh line), and the one adjustment is the new line less the
    # booked one: +1.500 kWh, $2.97 - $2.90 = +$0.07. Had the whole revised readings been
    # counted (+1000 Wh and +2000 Wh) it would be +3.000 kWh; Peak is unchanged.
    adjustments = [
        (line.adjusts_kind, line.kwh, line.amount)
        for line in recalculation.lines.filter(kind="ADJUSTMENT").order_by("number")
    ]
    assert adjustments == [("EXPORT_ENERGY", Decimal("1.500"), Decimal("0.07"))]
    assert recalculation.total == Decimal("0.07")
