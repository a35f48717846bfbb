"""Baselines, worked out by hand from the method's text (DOMAIN.md section 2)."""

from datetime import date
from decimal import Decimal

import pytest

from settlement.rating import baselines
from settlement.rating.baselines import (
    AdjustmentBounds,
    BaselineMethod,
    CandidateDay,
    DayType,
    Method,
    PoolRule,
    SkippedDay,
)

D = Decimal
INDEPENDENCE_DAY = date(2025, 7, 4)  # a Friday
TUESDAY = date(2025, 7, 15)


def day(when: date, **hours: int) -> CandidateDay:
    return CandidateDay(when, {int(h[1:]): D(v) for h, v in hours.items()})


def x_of_y(days: int, min_days: int | None = None, weekend: int = 2) -> BaselineMethod:
    return BaselineMethod(
        method=Method.X_OF_Y,
        weekday=PoolRule(days, days, days if min_days is None else min_days),
        weekend_holiday=PoolRule(weekend, weekend, weekend),
    )


def test_day_types_split_weekdays_from_weekends_and_holidays():
    assert baselines.day_type_of(date(2025, 7, 11), frozenset()) is DayType.WEEKDAY  # Friday
    assert baselines.day_type_of(date(2025, 7, 12), frozenset()) is DayType.WEEKEND_HOLIDAY
    assert baselines.day_type_of(date(2025, 7, 13), frozenset()) is DayType.WEEKEND_HOLIDAY
    assert baselines.day_type_of(date(2025, 7, 14), frozenset()) is DayType.WEEKDAY  # Monday
    holidays = frozenset({INDEPENDENCE_DAY})
    assert baselines.day_type_of(INDEPENDENCE_DAY, holidays) is DayType.WEEKEND_HOLIDAY
    assert baselines.day_type_of(INDEPENDENCE_DAY, frozenset()) is DayType.WEEKDAY


def test_net_load_is_import_minus_export():
    assert baselines.net_load_wh(300, 1200) == -900
    assert baselines.net_load_wh(1200, 300) == 900
    assert baselines.hourly_net_load({17: 300, 18: 100}, {17: 1200, 19: 50}) == {
        17: -900,
        18: 100,
        19: -50,
    }


def test_x_of_y_averages_the_same_hours_of_the_most_recent_weekdays():
    candidates = [
        day(date(2025, 7, 14), h17=1000, h18=2000),  # Monday
        day(date(2025, 7, 13), h17=90000, h18=90000),  # Sunday: the other pool
        day(date(2025, 7, 12), h17=90000, h18=90000),  # Saturday: the other pool
        day(date(2025, 7, 11), h17=1300, h18=2300),
        day(date(2025, 7, 10), h17=1600, h18=2600),
        day(date(2025, 7, 9), h17=9999, h18=9999),  # a fourth weekday: not needed
        day(date(2025, 7, 16), h17=7777, h18=7777),  # after the event: never used
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17, 18], candidates=candidates, method=x_of_y(3)
    )

    # (1000 + 1300 + 1600) / 3 = 1300; (2000 + 2300 + 2600) / 3 = 2300.
    assert result.hourly_wh == {17: D(1300), 18: D(2300)}
    assert result.used_days == (date(2025, 7, 10), date(2025, 7, 11), date(2025, 7, 14))
    assert result.skipped_days == ()
    assert (result.settleable, result.reason) == (True, "")
    assert (result.day_type, result.method, result.hours) == (
        DayType.WEEKDAY,
        Method.X_OF_Y,
        (17, 18),
    )
    assert result.event_day == TUESDAY


def test_an_average_that_does_not_divide_evenly_stays_exact():
    candidates = [
        day(date(2025, 7, 14), h17=1000),
        day(date(2025, 7, 11), h17=1001),
        day(date(2025, 7, 10), h17=1001),
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=x_of_y(3)
    )

    assert result.hourly_wh == {17: D(3002) / D(3)}


def test_a_holiday_uses_the_weekend_pool_and_a_weekday_skips_holidays():
    holidays = frozenset({INDEPENDENCE_DAY})
    candidates = [
        day(date(2025, 7, 7), h17=100),  # Monday
        day(INDEPENDENCE_DAY, h17=5000),
        day(date(2025, 7, 3), h17=300),  # Thursday
        day(date(2025, 6, 29), h17=4000),  # Sunday
        day(date(2025, 6, 28), h17=6000),  # Saturday
        day(date(2025, 6, 22), h17=99999),  # Sunday, beyond the 2 needed
    ]
    method = x_of_y(2, weekend=2)

    on_holiday = baselines.compute_baseline(
        event_day=INDEPENDENCE_DAY,
        hours=[17],
        candidates=candidates,
        method=method,
        holidays=holidays,
    )
    on_weekday = baselines.compute_baseline(
        event_day=date(2025, 7, 8),
        hours=[17],
        candidates=candidates,
        method=method,
        holidays=holidays,
    )

    # Holiday pool: Sunday 6/29 and Saturday 6/28: (4000 + 6000) / 2.
    assert on_holiday.day_type is DayType.WEEKEND_HOLIDAY
    assert on_holiday.used_days == (date(2025, 6, 28), date(2025, 6, 29))
    assert on_holiday.hourly_wh == {17: D(5000)}
    # Weekday pool: the holiday is not a weekday; Monday 7/7 and Thursday 7/3: (100 + 300) / 2.
    assert on_weekday.used_days == (date(2025, 7, 3), date(2025, 7, 7))
    assert on_weekday.hourly_wh == {17: D(200)}


def test_event_outage_incomplete_and_gappy_days_are_skipped_with_their_reason():
    candidates = [
        CandidateDay(date(2025, 7, 14), {17: D(5000)}, excluded_reason="event day"),
        CandidateDay(date(2025, 7, 11), {17: D(5000)}, excluded_reason="outage day"),
        CandidateDay(date(2025, 7, 10), {17: D(5000)}, incomplete_share=D("0.25")),
        CandidateDay(date(2025, 7, 9), {18: D(5000)}),
        # Exactly at the bound is still eligible: only more than the share is too much.
        CandidateDay(date(2025, 7, 8), {17: D(100)}, incomplete_share=D("0.10")),
        CandidateDay(date(2025, 7, 7), {17: D(300)}),
        # The pool is full before this day: it is not even looked at.
        CandidateDay(date(2025, 7, 3), {17: D(1)}, excluded_reason="event day"),
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=x_of_y(2)
    )

    assert result.skipped_days == (
        SkippedDay(date(2025, 7, 14), "event day"),
        SkippedDay(date(2025, 7, 11), "outage day"),
        SkippedDay(date(2025, 7, 10), "25% of its data missing or estimated (more than 10%)"),
        SkippedDay(date(2025, 7, 9), "no data for hour 17:00"),
    )
    assert result.used_days == (date(2025, 7, 7), date(2025, 7, 8))
    assert result.hourly_wh == {17: D(200)}


def test_too_few_baseline_days_is_not_settleable_with_the_reason():
    candidates = [
        day(date(2025, 7, 14), h17=1000),
        CandidateDay(date(2025, 7, 11), {17: D(1)}, excluded_reason="event day"),
        day(date(2025, 7, 10), h17=3000),
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=x_of_y(10)
    )

    assert result.settleable is False
    assert result.reason == "only 2 eligible weekday baseline days, 10 required"
    assert (result.event_day, result.day_type, result.method, result.hours) == (
        TUESDAY,
        DayType.WEEKDAY,
        Method.X_OF_Y,
        (17,),
    )
    assert result.hourly_wh == {}
    assert result.used_days == (date(2025, 7, 10), date(2025, 7, 14))
    assert result.skipped_days == (SkippedDay(date(2025, 7, 11), "event day"),)


def test_too_few_weekend_days_names_the_weekend_pool():
    result = baselines.compute_baseline(
        event_day=date(2025, 7, 12),
        hours=[17],
        candidates=[day(date(2025, 7, 6), h17=10)],
        method=x_of_y(10, weekend=4),
    )

    assert result.reason == "only 1 eligible weekend/holiday baseline days, 4 required"


def test_a_minimum_below_the_pool_size_settles_on_the_days_found():
    candidates = [day(date(2025, 7, 14), h17=1000), day(date(2025, 7, 11), h17=3000)]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=x_of_y(10, min_days=2)
    )

    assert (result.settleable, result.hourly_wh) == (True, {17: D(2000)})


def test_exactly_the_minimum_number_of_days_is_enough():
    candidates = [day(date(2025, 7, 14), h17=1000), day(date(2025, 7, 11), h17=3000)]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=x_of_y(2)
    )

    assert result.settleable is True


def test_top_n_of_m_averages_the_highest_days_and_prefers_the_more_recent_on_a_tie():
    method = BaselineMethod(
        method=Method.TOP_N_OF_M,
        weekday=PoolRule(days=2, of_days=4, min_days=4),
        weekend_holiday=PoolRule(1, 1, 1),
    )
    candidates = [
        day(date(2025, 7, 14), h17=2500, h18=1500),  # 4000 over the event hours
        day(date(2025, 7, 11), h17=3000, h18=0),  # 3000
        day(date(2025, 7, 10), h17=1500, h18=1500),  # 3000, older than 7/11
        day(date(2025, 7, 9), h17=500, h18=500),  # 1000
        day(date(2025, 7, 8), h17=9000, h18=9000),  # fifth: outside the 4 looked at
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17, 18], candidates=candidates, method=method
    )

    # Top 2: 7/14 (4000) and 7/11 (3000, the more recent of the two 3000 days).
    # 17: (2500 + 3000) / 2 = 2750; 18: (1500 + 0) / 2 = 750.
    assert result.used_days == (date(2025, 7, 11), date(2025, 7, 14))
    assert result.hourly_wh == {17: D(2750), 18: D(750)}
    assert result.method is Method.TOP_N_OF_M


def test_top_n_ranks_by_load_not_by_recency():
    method = BaselineMethod(
        method=Method.TOP_N_OF_M,
        weekday=PoolRule(days=1, of_days=3, min_days=3),
        weekend_holiday=PoolRule(1, 1, 1),
    )
    candidates = [
        day(date(2025, 7, 14), h17=100),
        day(date(2025, 7, 11), h17=900),
        day(date(2025, 7, 10), h17=500),
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=method
    )

    assert (result.used_days, result.hourly_wh) == ((date(2025, 7, 11),), {17: D(900)})


def test_the_pool_of_a_method_follows_the_day_type():
    method = x_of_y(10, weekend=4)

    assert method.pool(DayType.WEEKDAY) == PoolRule(10, 10, 10)
    assert method.pool(DayType.WEEKEND_HOLIDAY) == PoolRule(4, 4, 4)


def test_adjustment_hours_end_the_skipped_hours_before_the_event():
    elrp = AdjustmentBounds(hours_before=3, skip_hours=1, min_factor=D(1), max_factor=D("1.4"))
    adjacent = AdjustmentBounds(hours_before=2, skip_hours=0, min_factor=D(1), max_factor=D(2))

    # Event from 17:00, one hour skipped: 13:00, 14:00 and 15:00.
    assert baselines.adjustment_hours(first_event_hour=17, bounds=elrp) == (13, 14, 15)
    assert baselines.adjustment_hours(first_event_hour=16, bounds=adjacent) == (14, 15)
    # Hours before midnight are dropped rather than wrapped.
    assert baselines.adjustment_hours(
        first_event_hour=1, bounds=elrp.__class__(3, 0, D(1), D(1))
    ) == (0,)


ELRP_BOUNDS = AdjustmentBounds(
    hours_before=3, skip_hours=1, min_factor=D("1.00"), max_factor=D("1.40")
)
BASELINE = {13: D(1000), 14: D(1000), 15: D(2000)}  # 4000 over the adjustment hours


@pytest.mark.parametrize(
    ("actual", "ratio", "factor"),
    [
        # 7000 / 4000 = 1.75, bounded to the upper 1.40.
        ({13: D(1500), 14: D(2500), 15: D(3000)}, D("1.75"), D("1.40")),
        # 4400 / 4000 = 1.1, inside the bounds.
        ({13: D(1100), 14: D(1100), 15: D(2200)}, D("1.1"), D("1.1")),
        # 3000 / 4000 = 0.75, raised to the lower 1.00: the adjustment never lowers a baseline.
        ({13: D(1000), 14: D(1000), 15: D(1000)}, D("0.75"), D("1.00")),
        # Exactly the upper bound: 5600 / 4000 = 1.4.
        ({13: D(1400), 14: D(1400), 15: D(2800)}, D("1.4"), D("1.40")),
    ],
)
def test_the_day_of_adjustment_is_actual_over_baseline_bounded(actual, ratio, factor):
    result = baselines.day_of_adjustment(
        baseline_wh=BASELINE, actual_wh=actual, hours=(13, 14, 15), bounds=ELRP_BOUNDS
    )

    assert (result.ratio, result.factor) == (ratio, factor)
    assert result.baseline_wh == D(4000)
    assert result.actual_wh == sum(actual.values())
    assert result.hours == (13, 14, 15)


@pytest.mark.parametrize("base", [D(0), D(-500)])
def test_a_baseline_that_is_not_positive_gets_no_ratio_and_the_bounded_factor_1(base):
    lifted = AdjustmentBounds(
        hours_before=1, skip_hours=0, min_factor=D("1.2"), max_factor=D("1.4")
    )

    plain = baselines.day_of_adjustment(
        baseline_wh={15: base}, actual_wh={15: D(900)}, hours=(15,), bounds=ELRP_BOUNDS
    )
    raised = baselines.day_of_adjustment(
        baseline_wh={15: base}, actual_wh={15: D(900)}, hours=(15,), bounds=lifted
    )

    assert (plain.ratio, plain.factor) == (None, D(1))
    assert (raised.ratio, raised.factor) == (None, D("1.2"))


def test_an_adjusted_baseline_scales_every_hour_including_exporting_ones():
    assert baselines.adjusted({17: D(1000), 18: D(-500)}, D("1.4")) == {
        17: D(1400),
        18: D(-700),
    }


def test_the_share_of_missing_data_is_named_in_whole_percent():
    # 0.9 of the day missing, more than the method's 0.7: "90% ... (more than 70%)".
    method = BaselineMethod(
        method=Method.X_OF_Y,
        weekday=PoolRule(1, 1, 1),
        weekend_holiday=PoolRule(1, 1, 1),
        max_incomplete_share=D("0.7"),
    )
    candidates = [
        CandidateDay(date(2025, 7, 14), {17: D(5000)}, incomplete_share=D("0.9")),
        day(date(2025, 7, 11), h17=300),
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=method
    )

    assert result.skipped_days == (
        SkippedDay(date(2025, 7, 14), "90% of its data missing or estimated (more than 70%)"),
    )
    assert result.hourly_wh == {17: D(300)}


def test_x_of_y_averages_all_y_days_whatever_x_says():
    # The rule text: X-of-Y averages the same hours of the previous Y eligible days. With
    # Y = 3 the three most recent weekdays count: (100 + 200 + 600) / 3 = 300.
    method = BaselineMethod(
        method=Method.X_OF_Y, weekday=PoolRule(1, 3, 3), weekend_holiday=PoolRule(1, 1, 1)
    )
    candidates = [
        day(date(2025, 7, 14), h17=100),
        day(date(2025, 7, 11), h17=200),
        day(date(2025, 7, 10), h17=600),
    ]

    result = baselines.compute_baseline(
        event_day=TUESDAY, hours=[17], candidates=candidates, method=method
    )

    assert result.hourly_wh == {17: D(300)}
    assert result.used_days == (date(2025, 7, 10), date(2025, 7, 11), date(2025, 7, 14))


def test_a_baseline_of_one_wh_still_gives_a_ratio():
    # 1.2 Wh actual over a 1 Wh baseline: ratio 1.2, inside 1.00-1.40.
    result = baselines.day_of_adjustment(
        baseline_wh={15: D(1)}, actual_wh={15: D("1.2")}, hours=(15,), bounds=ELRP_BOUNDS
    )

    assert (result.ratio, result.factor) == (D("1.2"), D("1.2"))


def test_an_event_at_midnight_has_no_adjustment_hours_and_factor_1():
    # The hours before 00:00 belong to the previous day and are dropped: nothing to compare,
    # so no ratio, factor 1 within 1.00-1.40, and Decimal zero on both sides.
    hours = baselines.adjustment_hours(first_event_hour=0, bounds=ELRP_BOUNDS)

    result = baselines.day_of_adjustment(
        baseline_wh={}, actual_wh={}, hours=hours, bounds=ELRP_BOUNDS
    )

    assert hours == ()
    assert (result.ratio, result.factor) == (None, D(1))
    assert [(type(v), v) for v in (result.actual_wh, result.baseline_wh)] == [(Decimal, D(0))] * 2
