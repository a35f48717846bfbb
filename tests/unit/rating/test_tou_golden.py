"""Golden cases for TOU pricing; every expected value is worked out by hand in a comment."""

from dataclasses import replace
from decimal import Decimal

import pytest

from settlement.rating import holiday_calendars, tou
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import IntervalArrays
from settlement.rating.tariff import FixedItem, Tier, TouPeriod, TouTariff
from tests.unit.rating.plans import (
    LOS_ANGELES,
    month_of_july_2025,
    readings,
    summer_winter_plan,
    utc,
)


def price_in_july(intervals, tariff):
    start, end = month_of_july_2025()
    return tou.price_tou(intervals, tariff, period_start_utc=start, period_end_utc=end)


def summary(result):
    return [(line.label, line.kwh, line.amount) for line in result.lines]


def test_a_summer_weekday_peak_interval_is_priced_in_daylight_time():
    # 2025-07-15 23:00 UTC = 16:00 PDT on a Tuesday: Peak, 1.000 kWh x $0.30 = $0.30.
    # Read in PST (UTC-8) it would be 15:00, Mid-peak, $0.12.
    result = price_in_july(readings((utc(2025, 7, 15, 23), 15, 1000)), summer_winter_plan())

    assert summary(result) == [("Peak", Decimal("1.000"), Decimal("0.30"))]
    assert result.total == Decimal("0.30")
    assert result.lines[0].first_local_start.isoformat() == "2025-07-15T16:00:00-07:00"


def test_the_hour_before_peak_is_mid_peak():
    # 2025-07-15 22:00 UTC = 15:00 PDT: Mid-peak, 1.000 kWh x $0.12 = $0.12.
    result = price_in_july(readings((utc(2025, 7, 15, 22), 15, 1000)), summer_winter_plan())

    assert summary(result) == [("Mid-peak", Decimal("1.000"), Decimal("0.12"))]


def test_independence_day_uses_the_weekend_schedule_and_the_day_before_does_not():
    # 2025-07-04 (Friday, a holiday) 16:00 PDT: weekend Mid-peak, 2 kWh x $0.12 = $0.24.
    # 2025-07-03 (Thursday) 16:00 PDT: Peak, 1 kWh x $0.30 = $0.30.
    plan = summer_winter_plan(holiday_calendars.holiday_dates("pge", [2025]))
    intervals = readings((utc(2025, 7, 4, 23), 15, 2000), (utc(2025, 7, 3, 23), 15, 1000))

    result = price_in_july(intervals, plan)

    assert summary(result) == [
        ("Mid-peak", Decimal("2.000"), Decimal("0.24")),
        ("Peak", Decimal("1.000"), Decimal("0.30")),
    ]
    assert result.total == Decimal("0.54")


def test_without_a_holiday_calendar_independence_day_is_a_weekday():
    # No holidays: 2025-07-04 16:00 PDT is a Friday peak, 2 kWh x $0.30 = $0.60.
    result = price_in_july(readings((utc(2025, 7, 4, 23), 15, 2000)), summer_winter_plan())

    assert summary(result) == [("Peak", Decimal("2.000"), Decimal("0.60"))]


def test_sce_prices_the_monday_after_a_sunday_new_year_as_a_holiday():
    # 2023-01-01 was a Sunday; SCE observes it on Monday 2023-01-02. 16:00 PST = 00:00 UTC
    # on the 3rd. Holiday: weekend Mid-peak 1 kWh x $0.12 = $0.12; without it Winter peak $0.20.
    intervals = readings((utc(2023, 1, 3, 0), 15, 1000))
    period = {"period_start_utc": utc(2023, 1, 1, 8), "period_end_utc": utc(2023, 2, 1, 8)}
    sce = summer_winter_plan(holiday_calendars.holiday_dates("sce", [2023]))

    observed = tou.price_tou(intervals, sce, **period)
    not_observed = tou.price_tou(intervals, summer_winter_plan(), **period)

    assert summary(observed) == [("Mid-peak", Decimal("1.000"), Decimal("0.12"))]
    assert summary(not_observed) == [("Winter peak", Decimal("1.000"), Decimal("0.20"))]


def test_sce_does_not_move_a_saturday_holiday_to_the_friday():
    # 2026-07-04 is a Saturday; Friday 2026-07-03 16:00 PDT (23:00 UTC) stays a weekday:
    # Peak, 1 kWh x $0.30 = $0.30.
    plan = summer_winter_plan(holiday_calendars.holiday_dates("sce", [2026]))

    result = tou.price_tou(
        readings((utc(2026, 7, 3, 23), 15, 1000)),
        plan,
        period_start_utc=utc(2026, 7, 1, 7),
        period_end_utc=utc(2026, 8, 1, 7),
    )

    assert summary(result) == [("Peak", Decimal("1.000"), Decimal("0.30"))]


def hour_labelled_plan():
    # Every day, all year: 01:00-02:00 "One" $0.10, 02:00-03:00 "Two" $1.00, else "Day" $0.05.
    row = tuple(1 if hour == 1 else 2 if hour == 2 else 0 for hour in range(24))
    schedule = tuple(row for _ in range(12))
    return TouTariff(
        time_zone=LOS_ANGELES,
        periods=(
            TouPeriod("Day", Decimal("0.05")),
            TouPeriod("One", Decimal("0.10")),
            TouPeriod("Two", Decimal("1.00")),
        ),
        weekday_schedule=schedule,
        weekend_schedule=schedule,
    )


def quarter_hours_of(start, end, wh):
    count = int((end - start).total_seconds()) // 900
    return IntervalArrays.from_sequences(
        start_utc=[int(start.timestamp()) + 900 * index for index in range(count)],
        duration_s=[900] * count,
        wh=[wh] * count,
    )


def test_spring_forward_day_prices_92_quarter_hours_without_a_2_am():
    # 2025-03-09 00:00 PST (08:00 UTC) to 2025-03-10 00:00 PDT (07:00 UTC): 23 h = 92 x 15 min,
    # 100 Wh each = 9.200 kWh. 02:00 does not exist, so "Two" gets nothing.
    # One: 4 x 100 Wh = 0.400 kWh x $0.10 = $0.04.
    # Day: hours 0 and 3-23 = 22 h = 88 x 100 Wh = 8.800 kWh x $0.05 = $0.44. Total $0.48.
    start, end = utc(2025, 3, 9, 8), utc(2025, 3, 10, 7)
    intervals = quarter_hours_of(start, end, 100)

    result = tou.price_tou(
        intervals, hour_labelled_plan(), period_start_utc=start, period_end_utc=end
    )

    assert len(intervals) == 92
    assert summary(result) == [
        ("Day", Decimal("8.800"), Decimal("0.44")),
        ("One", Decimal("0.400"), Decimal("0.04")),
    ]
    assert result.total == Decimal("0.48")


def test_fall_back_day_prices_100_quarter_hours_with_1_am_twice():
    # 2025-11-02 00:00 PDT (07:00 UTC) to 2025-11-03 00:00 PST (08:00 UTC): 25 h = 100 x 15 min.
    # One: 01:00 PDT and 01:00 PST = 8 x 100 Wh = 0.800 kWh x $0.10 = $0.08.
    # Two: 4 x 100 Wh = 0.400 kWh x $1.00 = $0.40.
    # Day: hours 0 and 3-23 = 88 x 100 Wh = 8.800 kWh x $0.05 = $0.44. Total 10 kWh, $0.92.
    start, end = utc(2025, 11, 2, 7), utc(2025, 11, 3, 8)
    intervals = quarter_hours_of(start, end, 100)

    result = tou.price_tou(
        intervals, hour_labelled_plan(), period_start_utc=start, period_end_utc=end
    )

    assert len(intervals) == 100
    assert summary(result) == [
        ("Day", Decimal("8.800"), Decimal("0.44")),
        ("One", Decimal("0.800"), Decimal("0.08")),
        ("Two", Decimal("0.400"), Decimal("0.40")),
    ]
    assert result.total == Decimal("0.92")
    one = result.lines[1]
    assert one.first_local_start.isoformat() == "2025-11-02T01:00:00-07:00"
    assert one.last_local_start.isoformat() == "2025-11-02T01:45:00-08:00"


def test_an_interval_across_a_price_boundary_is_split_in_proportion_to_time():
    # 60 min from 15:30 PDT (22:30 UTC): 30 min Mid-peak, 30 min Peak. 1001 Wh -> 500.5 each;
    # floors 500 + 500, the 1 Wh left goes to the tied remainder that starts first (Mid-peak).
    # Mid-peak 0.501 kWh x $0.12 = $0.06012 -> $0.06; Peak 0.500 kWh x $0.30 = $0.15.
    # 45 min from 15:45 PDT: 15 min Mid-peak, 30 min Peak. 999 Wh -> 333 and 666, no remainder.
    # 45 min from 15:45 PDT on the 16th with 1000 Wh -> 333.33 and 666.67: floors 333 + 666,
    # the 1 Wh left goes to the larger remainder (Peak): 333 and 667.
    # Mid-peak: 501 + 333 + 333 = 1167 Wh = 1.167 kWh x $0.12 = $0.14004 -> $0.14.
    # Peak: 500 + 666 + 667 = 1833 Wh = 1.833 kWh x $0.30 = $0.5499 -> $0.55.
    intervals = readings(
        (utc(2025, 7, 15, 22, 30), 60, 1001),
        (utc(2025, 7, 15, 22, 45), 45, 999),
        (utc(2025, 7, 16, 22, 45), 45, 1000),
    )

    result = price_in_july(intervals, summer_winter_plan())

    assert summary(result) == [
        ("Mid-peak", Decimal("1.167"), Decimal("0.14")),
        ("Peak", Decimal("1.833"), Decimal("0.55")),
    ]
    assert result.lines_of_interval(0) == ((0, 501), (1, 500))
    assert result.lines_of_interval(2) == ((0, 333), (1, 667))
    peak_intervals, peak_wh = result.intervals_of_line(1)
    assert sorted(zip(peak_intervals.tolist(), peak_wh.tolist(), strict=True)) == [
        (0, 500),
        (1, 666),
        (2, 667),
    ]


def test_a_line_is_rounded_once_not_interval_by_interval():
    # Five off-peak quarter hours of 250 Wh at $0.10: the line is 1.250 kWh x $0.10 = $0.125
    # -> $0.13 (half-up). Rounding each interval first: 0.250 x 0.10 = $0.025 -> $0.03, five
    # of them $0.15, two cents more.
    flat = TouTariff(
        time_zone=LOS_ANGELES,
        periods=(TouPeriod("Flat", Decimal("0.10")),),
        weekday_schedule=tuple(tuple(0 for _ in range(24)) for _ in range(12)),
        weekend_schedule=tuple(tuple(0 for _ in range(24)) for _ in range(12)),
    )
    intervals = readings(*[(utc(2025, 7, 15, 10, 15 * index), 15, 250) for index in range(4)])
    intervals = IntervalArrays.from_sequences(
        start_utc=[*intervals.start_utc.tolist(), int(utc(2025, 7, 15, 11).timestamp())],
        duration_s=[900] * 5,
        wh=[250] * 5,
    )

    result = price_in_july(intervals, flat)

    assert summary(result) == [("Flat", Decimal("1.250"), Decimal("0.13"))]
    assert result.total == Decimal("0.13")


@pytest.mark.parametrize(
    ("start", "end", "days", "amount"),
    [
        # June has 30 local days: 30 x $0.25 = $7.50 (365/12 days would give $7.60).
        (utc(2025, 6, 1, 7), utc(2025, 7, 1, 7), Decimal(30), Decimal("7.50")),
        # July has 31: 31 x $0.25 = $7.75.
        (utc(2025, 7, 1, 7), utc(2025, 8, 1, 7), Decimal(31), Decimal("7.75")),
        # November 2025 has a 25-hour day but still 30 days: $7.50.
        (utc(2025, 11, 1, 7), utc(2025, 12, 1, 8), Decimal(30), Decimal("7.50")),
    ],
)
def test_a_daily_credit_counts_the_actual_local_days(start, end, days, amount):
    plan = replace(
        summer_winter_plan(), fixed_items=(FixedItem("Daily credit", Decimal("0.25"), "day"),)
    )
    no_readings = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    result = tou.price_tou(no_readings, plan, period_start_utc=start, period_end_utc=end)

    assert [(line.label, line.unit, line.quantity, line.amount) for line in result.lines] == [
        ("Daily credit", "day", days, amount)
    ]
    assert result.total == amount


def test_a_monthly_item_counts_month_starts_in_the_period():
    # One local month start (2025-07-01 00:00 PDT) in July: 1 x -$10.00.
    plan = replace(
        summer_winter_plan(), fixed_items=(FixedItem("Meter fee", Decimal("-10.00"), "month"),)
    )

    result = price_in_july(readings((utc(2025, 7, 15, 23), 15, 1000)), plan)

    # Peak $0.30 + fee -$10.00 = -$9.70.
    assert summary(result)[-1] == ("Meter fee", Decimal("0.000"), Decimal("-10.00"))
    assert result.total == Decimal("-9.70")


def test_tiers_fill_in_time_order_within_the_month():
    # Off-peak tiered: first 1 kWh a month at $0.10, the rest at $0.04.
    # 600 Wh at 10:00, 11:00, 12:00 UTC on July 15: cumulative 600, 1200, 1800 Wh.
    # Tier 1: 600 + 400 = 1000 Wh = 1.000 x $0.10 = $0.10. Tier 2: 200 + 600 = 800 Wh
    # = 0.800 x $0.04 = $0.032 -> $0.03.
    plan = summer_winter_plan()
    off_peak = TouPeriod(
        "Off-peak",
        Decimal("0.10"),
        tiers=(Tier(Decimal("1"), Decimal("0.10")), Tier(None, Decimal("0.04"))),
    )
    plan = replace(plan, periods=(off_peak, *plan.periods[1:]))
    intervals = readings(
        (utc(2025, 7, 15, 12), 60, 600),
        (utc(2025, 7, 15, 10), 60, 600),
        (utc(2025, 7, 15, 11), 60, 600),
    )

    result = price_in_july(intervals, plan)

    assert summary(result) == [
        ("Off-peak tier 1", Decimal("1.000"), Decimal("0.10")),
        ("Off-peak tier 2", Decimal("0.800"), Decimal("0.03")),
    ]
    # The 11:00 reading (index 2) straddles the ceiling: 400 Wh in tier 1, 200 in tier 2.
    assert result.lines_of_interval(2) == ((0, 400), (1, 200))


def test_daily_tiers_restart_each_local_day():
    # Same tiers per local day: July 15 has 600 + 600 Wh -> tier 1 1000, tier 2 200;
    # July 16 has 600 Wh -> tier 1 600. Tier 1 1.600 x $0.10 = $0.16; tier 2 0.200 x
    # $0.04 = $0.008 -> $0.01.
    plan = summer_winter_plan()
    off_peak = TouPeriod(
        "Off-peak",
        Decimal("0.10"),
        tiers=(Tier(Decimal("1"), Decimal("0.10")), Tier(None, Decimal("0.04"))),
    )
    plan = replace(plan, periods=(off_peak, *plan.periods[1:]), tier_basis="daily")
    intervals = readings(
        (utc(2025, 7, 15, 10), 60, 600),
        (utc(2025, 7, 15, 11), 60, 600),
        (utc(2025, 7, 16, 10), 60, 600),
    )

    result = price_in_july(intervals, plan)

    assert summary(result) == [
        ("Off-peak tier 1", Decimal("1.600"), Decimal("0.16")),
        ("Off-peak tier 2", Decimal("0.200"), Decimal("0.01")),
    ]


def test_a_maximum_caps_the_total_with_a_bound_line():
    # Peak 10 kWh x $0.30 = $3.00, capped at $2.50: bound line -$0.50.
    plan = replace(summer_winter_plan(), maximum_total=Decimal("2.50"))

    result = price_in_july(readings((utc(2025, 7, 15, 23), 60, 10_000)), plan)

    assert summary(result)[-1] == ("Maximum total cap", Decimal("0.000"), Decimal("-0.50"))
    assert result.lines[-1].component == "bound"
    assert result.total == Decimal("2.50")


def test_a_minimum_raises_the_total_with_a_bound_line():
    # Off-peak 1 kWh x $0.05 = $0.05, minimum $1.00: bound line +$0.95.
    plan = replace(summer_winter_plan(), minimum_total=Decimal("1.00"))

    result = price_in_july(readings((utc(2025, 7, 15, 10), 60, 1000)), plan)

    assert result.total == Decimal("1.00")
    assert (result.lines[-1].label, result.lines[-1].component) == ("Minimum total top-up", "bound")
    assert result.lines[-1].amount == Decimal("0.95")


def test_an_interval_outside_the_billing_period_is_refused_not_dropped():
    # 2025-08-01 07:00 UTC is the period's exclusive end.
    intervals = readings((utc(2025, 7, 15, 23), 15, 1000), (utc(2025, 8, 1, 7), 15, 1000))

    with pytest.raises(RatingInputError, match=r"intervals\[1\].*1 interval\(s\) outside"):
        price_in_july(intervals, summer_winter_plan())


def test_the_same_inputs_give_byte_identical_json():
    intervals = readings((utc(2025, 7, 15, 22, 30), 60, 1001), (utc(2025, 7, 4, 23), 15, 7))
    plan = summer_winter_plan(holiday_calendars.holiday_dates("pge", [2025]))

    first = price_in_july(intervals, plan).to_json(with_attribution=True)
    second = price_in_july(intervals, plan).to_json(with_attribution=True)

    assert first == second
    assert '"amount":"0.15"' in first
