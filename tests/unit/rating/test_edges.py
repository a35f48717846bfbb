"""Edges the golden cases leave out: Saturdays, half-hour zones, tier ceilings, bounds, JSON."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from settlement.rating import holiday_calendars, pricing, tou, vector
from settlement.rating.billing_period import BillingPeriod
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import IntervalArrays
from settlement.rating.local_time import local_datetime, utc_offset_table
from settlement.rating.tariff import (
    DayType,
    FixedItem,
    HourlyVectorTariff,
    Tier,
    TouPeriod,
    TouTariff,
    VectorPrice,
)
from tests.unit.rating.plans import (
    LOS_ANGELES,
    month_of_july_2025,
    readings,
    summer_winter_plan,
    utc,
)

JULY = dict(zip(("period_start_utc", "period_end_utc"), month_of_july_2025(), strict=True))


def summary(result):
    return [(line.label, line.quantity, line.amount) for line in result.lines]


def test_a_saturday_prices_on_the_weekend_schedule_and_a_friday_does_not():
    # 2025-07-19 is a Saturday, 2025-07-18 a Friday; 16:00 PDT = 23:00 UTC.
    # Saturday: weekend Mid-peak 1 kWh x $0.12; Friday: Peak 1 kWh x $0.30.
    intervals = readings((utc(2025, 7, 19, 23), 15, 1000), (utc(2025, 7, 18, 23), 15, 1000))

    result = tou.price_tou(intervals, summer_winter_plan(), **JULY)

    assert summary(result) == [
        ("Mid-peak", Decimal("1.000"), Decimal("0.12")),
        ("Peak", Decimal("1.000"), Decimal("0.30")),
    ]


def test_memorial_day_on_the_31st_is_a_holiday():
    # The last Monday of May 2021 is May 31 (the month's last day).
    assert date(2021, 5, 31) in holiday_calendars.holiday_dates("SCE", [2021])
    assert date(2021, 5, 24) not in holiday_calendars.holiday_dates("SCE", [2021])


def hour_plan(zone):
    """Every hour its own period, labelled by the local hour, priced $0.01 x (hour + 1)."""
    row = tuple(range(24))
    return TouTariff(
        time_zone=zone,
        periods=tuple(TouPeriod(f"h{hour:02d}", Decimal(hour + 1) / 100) for hour in range(24)),
        weekday_schedule=tuple(row for _ in range(12)),
        weekend_schedule=tuple(row for _ in range(12)),
    )


@pytest.mark.parametrize(
    ("zone", "utc_hour", "utc_minute", "local_hour"),
    [
        # Kolkata is UTC+5:30: 10:30 UTC is 16:00 local; 10:29 is 15:59.
        ("Asia/Kolkata", 10, 30, 16),
        ("Asia/Kolkata", 10, 29, 15),
        # Eucla is UTC+8:45: 07:15 UTC is 16:00 local.
        ("Australia/Eucla", 7, 15, 16),
        # St. John's is UTC-2:30 in July: 18:30 UTC is 16:00 local.
        ("America/St_Johns", 18, 30, 16),
    ],
)
def test_a_half_hour_zone_prices_by_its_own_wall_clock(zone, utc_hour, utc_minute, local_hour):
    start = utc(2025, 7, 15, utc_hour, utc_minute)
    intervals = IntervalArrays.from_sequences(
        start_utc=[int(start.timestamp())], duration_s=[60], wh=[1000]
    )

    result = tou.price_tou(
        intervals,
        hour_plan(zone),
        period_start_utc=utc(2025, 7, 14),
        period_end_utc=utc(2025, 7, 17),
    )

    price = Decimal(local_hour + 1) / 100
    assert summary(result) == [
        (f"h{local_hour:02d}", Decimal("1.000"), price.quantize(Decimal("0.01")))
    ]


def test_a_reading_across_an_hour_in_a_half_hour_zone_is_cut_at_the_local_hour():
    # Kolkata: 10:00-11:00 UTC is 15:30-16:30 local, cut at 16:00 local (10:30 UTC):
    # 1001 Wh -> 501 Wh in h15 ($0.16 x 0.501 = 0.08016 -> $0.08), 500 Wh in h16
    # ($0.17 x 0.5 = $0.085 -> $0.09).
    intervals = readings((utc(2025, 7, 15, 10), 60, 1001))

    result = tou.price_tou(
        intervals,
        hour_plan("Asia/Kolkata"),
        period_start_utc=utc(2025, 7, 14),
        period_end_utc=utc(2025, 7, 17),
    )

    assert summary(result) == [
        ("h15", Decimal("0.501"), Decimal("0.08")),
        ("h16", Decimal("0.500"), Decimal("0.09")),
    ]


def two_tiered_periods(basis="monthly"):
    """Off-peak flat $0.05; Peak tiered: $0.30 up to 2 kWh, $0.10 above (weekdays 16-21)."""
    plan = summer_winter_plan()
    peak_tiers = (Tier(Decimal("2"), Decimal("0.30")), Tier(None, Decimal("0.10")))
    periods = list(plan.periods)
    periods[2] = TouPeriod("Peak", Decimal("0.30"), tiers=peak_tiers)
    return replace(plan, periods=tuple(periods), tier_basis=basis)


def test_a_tiered_period_other_than_the_first_fills_its_own_tiers():
    # Peak (period 2) is tiered: 16:00 PDT Tue 1.5 kWh and Wed 1.5 kWh = 3 kWh in July:
    # tier 1 2.000 kWh x 0.30 = $0.60, tier 2 1.000 kWh x 0.10 = $0.10. Off-peak 1 kWh at
    # 10:00 PDT x 0.05 = $0.05 is not tiered.
    intervals = readings(
        (utc(2025, 7, 15, 23), 60, 1500),
        (utc(2025, 7, 16, 23), 60, 1500),
        (utc(2025, 7, 15, 17), 60, 1000),
    )

    result = tou.price_tou(intervals, two_tiered_periods(), **JULY)

    assert summary(result) == [
        ("Off-peak", Decimal("1.000"), Decimal("0.05")),
        ("Peak tier 1", Decimal("2.000"), Decimal("0.60")),
        ("Peak tier 2", Decimal("1.000"), Decimal("0.10")),
    ]
    assert result.lines_of_interval(1) == ((1, 500), (2, 1000))


def test_monthly_tiers_accumulate_over_days_and_daily_tiers_do_not():
    # Peak 1.5 kWh on Tue and 1.5 kWh on Wed: monthly -> 2.000 + 1.000 (as above);
    # daily (2 kWh a day) -> 3.000 kWh all in tier 1 = $0.90.
    intervals = readings((utc(2025, 7, 15, 23), 60, 1500), (utc(2025, 7, 16, 23), 60, 1500))

    daily = tou.price_tou(intervals, two_tiered_periods("daily"), **JULY)

    assert summary(daily) == [("Peak tier 1", Decimal("3.000"), Decimal("0.90"))]


def test_energy_ending_exactly_on_a_ceiling_stays_in_the_lower_tier_and_zero_wh_follows():
    # 2,000 Wh reach the 2 kWh ceiling exactly: all tier 1. A later 0 Wh reading sits at the
    # ceiling, the start of tier 2: it is attributed there with 0 Wh, so tier 2 has a line
    # of 0.000 kWh. A 0 Wh reading before any energy belongs to tier 1.
    intervals = readings(
        (utc(2025, 7, 15, 23), 15, 0),
        (utc(2025, 7, 15, 23, 15), 15, 2000),
        (utc(2025, 7, 15, 23, 30), 15, 0),
    )

    result = tou.price_tou(intervals, two_tiered_periods(), **JULY)

    assert summary(result) == [
        ("Peak tier 1", Decimal("2.000"), Decimal("0.60")),
        ("Peak tier 2", Decimal("0.000"), Decimal("0.00")),
    ]
    assert result.lines_of_interval(0) == ((0, 0),)
    assert result.lines_of_interval(2) == ((1, 0),)


def test_a_reading_straddling_a_ceiling_is_split_exactly_at_it():
    # 1,500 Wh then 1,000 Wh: the second has 500 Wh below the 2 kWh ceiling, 500 above.
    intervals = readings((utc(2025, 7, 15, 23), 15, 1500), (utc(2025, 7, 15, 23, 15), 15, 1000))

    result = tou.price_tou(intervals, two_tiered_periods(), **JULY)

    assert result.lines_of_interval(1) == ((0, 500), (1, 500))
    assert result.intervals_of_line(1)[0].tolist() == [1]


def test_tiers_need_increasing_whole_wh_ceilings_and_an_open_last_tier():
    def plan_with(*tiers):
        periods = (TouPeriod("Only", Decimal("0.1"), tiers=tiers),)
        return replace(
            summer_winter_plan(), periods=periods, weekday_schedule=ZERO, weekend_schedule=ZERO
        )

    open_tier = Tier(None, Decimal("0.1"))
    with pytest.raises(RatingInputError, match=r"tiers\[1\].max_kwh: must increase"):
        plan_with(Tier(Decimal("2"), Decimal("0.1")), Tier(Decimal("2"), Decimal("0.1")), open_tier)
    with pytest.raises(RatingInputError, match=r"tiers\[0\].max_kwh: must increase"):
        plan_with(Tier(Decimal("0.0005"), Decimal("0.1")), open_tier)
    with pytest.raises(RatingInputError, match=r"tiers\[0\]: only the last tier is open"):
        plan_with(open_tier, open_tier)
    with pytest.raises(RatingInputError, match=r"tiers\[1\]: the last tier must be open"):
        plan_with(Tier(Decimal("1"), Decimal("0.1")), Tier(Decimal("2"), Decimal("0.1")))


ZERO = tuple(tuple(0 for _ in range(24)) for _ in range(12))


def test_a_schedule_pointing_at_a_missing_period_is_refused_naming_the_cell():
    schedule = tuple(
        tuple(4 if (month, hour) == (6, 17) else 0 for hour in range(24)) for month in range(12)
    )

    with pytest.raises(
        RatingInputError,
        match=r"weekend_schedule\[6\]\[17\]: period index 4 out of range \(4 periods\)",
    ):
        replace(summer_winter_plan(), weekend_schedule=schedule)
    with pytest.raises(
        RatingInputError, match=r"weekday_schedule\[0\]: must have 24 hours, has 23"
    ):
        replace(summer_winter_plan(), weekday_schedule=(tuple(range(23)), *ZERO[1:]))
    with pytest.raises(RatingInputError, match=r"weekday_schedule: must have 12 months, has 11"):
        replace(summer_winter_plan(), weekday_schedule=ZERO[1:])


def test_a_total_exactly_at_a_bound_gets_no_bound_line():
    # Peak 10 kWh x $0.30 = $3.00: a maximum of $3.00 or a minimum of $3.00 leaves it alone.
    intervals = readings((utc(2025, 7, 15, 23), 60, 10_000))
    for bounds in ({"maximum_total": Decimal("3.00")}, {"minimum_total": Decimal("3.00")}):
        result = tou.price_tou(intervals, replace(summer_winter_plan(), **bounds), **JULY)
        assert [line.component for line in result.lines] == ["export"]
        assert result.total == Decimal("3.00")


def test_a_bound_is_compared_after_rounding_it_to_cents():
    # Maximum $2.995 rounds half-up to $3.00: the $3.00 total is within it.
    intervals = readings((utc(2025, 7, 15, 23), 60, 10_000))

    result = tou.price_tou(
        intervals, replace(summer_winter_plan(), maximum_total=Decimal("2.995")), **JULY
    )

    assert result.total == Decimal("3.00")


def test_intervals_must_be_parallel_int64_arrays():
    good = np.array([0], dtype=np.int64)
    with pytest.raises(RatingInputError, match="start_utc: must be a one-dimensional int64 array"):
        IntervalArrays(start_utc=np.array([0], dtype=np.int32), duration_s=good, wh=good)
    with pytest.raises(RatingInputError, match="wh: must be a one-dimensional int64 array"):
        IntervalArrays(start_utc=good, duration_s=np.array([1]), wh=np.array([[0]], dtype=np.int64))
    with pytest.raises(RatingInputError, match=r"must have the same length \(1, 2, 1\)"):
        IntervalArrays(start_utc=good, duration_s=np.array([1, 1], dtype=np.int64), wh=good)
    with pytest.raises(RatingInputError, match=r"duration_s\[1\]: 0 is outside \[1, 2678400\]"):
        IntervalArrays.from_sequences(start_utc=[0, 0], duration_s=[1, 0], wh=[1, 1])
    with pytest.raises(RatingInputError, match=r"wh\[1\]: -1 is outside"):
        IntervalArrays.from_sequences(start_utc=[0, 0], duration_s=[1, 1], wh=[0, -1])


def test_the_sum_of_all_readings_must_fit_exactly():
    # 9.3 million readings: one of 10^12 Wh and the rest of 1 Wh sum to 10^12 + 9,299,999,
    # far below 2^63 - 1 = 9,223,372,036,854,775,807, so they are accepted although the
    # count times the largest reading is not below it. All of 10^12 Wh sum to 9.3 x 10^18,
    # above it: refused, naming that exact total.
    count = 9_300_000
    # Read-only views of one value: the arrays the core sees without 75 MB each to fill.
    ones = np.broadcast_to(np.int64(1), (count,))
    mostly_small = np.ones(count, dtype=np.int64)
    mostly_small[4_650_000] = 10**12
    assert len(IntervalArrays(start_utc=ones, duration_s=ones, wh=mostly_small)) == count
    huge = np.broadcast_to(np.int64(10**12), (count,))
    with pytest.raises(RatingInputError) as refused:
        IntervalArrays(start_utc=ones, duration_s=ones, wh=huge)
    assert str(refused.value) == (
        "wh: the intervals hold 9300000000000000000 Wh in all, more than the core sums exactly"
    )


def test_utc_hour_vectors_price_each_utc_hour_and_name_a_missing_one():
    # Two UTC hours priced; a reading in a third is refused naming its hour. Each hour is
    # labelled by the (month, day type, local hour) of its start: a Tuesday in July.
    first = int(utc(2025, 7, 15, 10).timestamp())
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_utc_hour={
            first: VectorPrice(Decimal("0.10"), Decimal("0.01")),
            first + 3600: VectorPrice(Decimal("0.20"), Decimal("0.02")),
        },
    )
    period = {"period_start_utc": utc(2025, 7, 15), "period_end_utc": utc(2025, 7, 16)}
    # 10:30-11:30 UTC, 1000 Wh: 500 Wh in each hour.
    result = vector.price_vector(readings((utc(2025, 7, 15, 10, 30), 60, 1000)), tariff, **period)

    assert summary(result) == [
        ("Jul weekday 03:00-04:00 generation", Decimal("0.500"), Decimal("0.05")),
        ("Jul weekday 03:00-04:00 delivery", Decimal("0.500"), Decimal("0.01")),
        ("Jul weekday 04:00-05:00 generation", Decimal("0.500"), Decimal("0.10")),
        ("Jul weekday 04:00-05:00 delivery", Decimal("0.500"), Decimal("0.01")),
    ]
    for hour in (9, 12):
        with pytest.raises(
            RatingInputError, match=rf"UTC hour starting 2025-07-15T{hour:02d}:00:00\+00:00"
        ):
            vector.price_vector(readings((utc(2025, 7, 15, hour), 60, 1)), tariff, **period)


def test_the_utc_table_has_offset_zero_forever():
    table = utc_offset_table()

    assert table.zone == "UTC"
    assert table.local_seconds(np.array([-(10**12), 0, 10**12], dtype=np.int64)).tolist() == [
        -(10**12),
        0,
        10**12,
    ]
    assert table.offsets_s.dtype == np.int64


def test_a_billing_period_ending_at_local_noon_prices_that_mornings_reading():
    # [2025-07-15 00:00 PDT, 12:00 PDT) = [07:00, 19:00) UTC; 10:00 PDT is Off-peak on the
    # test plan: 1 kWh x $0.05 = $0.05.
    result = tou.price_tou(
        readings((utc(2025, 7, 15, 17), 60, 1_000)),
        summer_winter_plan(),
        period_start_utc=utc(2025, 7, 15, 7),
        period_end_utc=utc(2025, 7, 15, 19),
    )

    assert summary(result) == [("Off-peak", Decimal("1.000"), Decimal("0.05"))]


def test_local_datetime_is_the_zones_wall_clock():
    # 2025-07-15 23:00 UTC = 16:00 PDT.
    assert local_datetime(1752620400, LOS_ANGELES).isoformat() == "2025-07-15T16:00:00-07:00"


def test_month_vectors_name_a_missing_key():
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_month_day_type_hour={(7, DayType.WEEKDAY, 16): VectorPrice(Decimal("1"), Decimal("0"))},
    )

    with pytest.raises(RatingInputError, match="no price for Jul weekend/holiday hour 16"):
        vector.price_vector(readings((utc(2025, 7, 19, 23), 15, 1)), tariff, **JULY)


def test_fixed_items_count_local_days_and_months_of_the_period():
    # July 2025 local: 31 days, one month start. A daily $0.10 and a monthly -$1.00 item.
    plan = replace(
        summer_winter_plan(),
        fixed_items=(
            FixedItem("Daily credit", Decimal("0.10"), "day"),
            FixedItem("Meter fee", Decimal("-1.00"), "month"),
        ),
    )
    empty = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    result = tou.price_tou(empty, plan, **JULY)

    assert [
        (line.label, line.component, line.unit, line.quantity, line.amount) for line in result.lines
    ] == [
        ("Daily credit", "fixed", "day", Decimal(31), Decimal("3.10")),
        ("Meter fee", "fixed", "month", Decimal(1), Decimal("-1.00")),
    ]
    assert result.total == Decimal("2.10")


def test_a_period_from_mid_june_to_mid_july_holds_one_month_start():
    plan = replace(summer_winter_plan(), fixed_items=(FixedItem("Fee", Decimal("1"), "month"),))
    empty = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    result = tou.price_tou(
        empty, plan, period_start_utc=utc(2025, 6, 15, 7), period_end_utc=utc(2025, 7, 15, 7)
    )

    assert summary(result) == [("Fee", Decimal(1), Decimal("1.00"))]


def test_the_result_json_is_stable_and_complete():
    # One Peak quarter hour, 1 kWh x $0.30, 2025-07-15 16:00 PDT, and a $1.00 minimum.
    plan = replace(summer_winter_plan(), minimum_total=Decimal("1.00"))
    result = tou.price_tou(readings((utc(2025, 7, 15, 23), 15, 1000)), plan, **JULY)

    assert json.loads(result.to_json(with_attribution=True)) == {
        "time_zone": LOS_ANGELES,
        "total": "1.00",
        "lines": [
            {
                "label": "Peak",
                "component": "export",
                "unit": "kWh",
                "quantity": "1.000",
                "kwh": "1.000",
                "price": "0.30",
                "amount": "0.30",
                "bucket": 2,
                "first_local_start": "2025-07-15T16:00:00-07:00",
                "last_local_start": "2025-07-15T16:00:00-07:00",
            },
            {
                "label": "Minimum total top-up",
                "component": "bound",
                "unit": "total",
                "quantity": "1",
                "kwh": "0.000",
                "price": "0.70",
                "amount": "0.70",
                "bucket": -1,
                "first_local_start": None,
                "last_local_start": None,
            },
        ],
        "attribution": {"interval": [0], "bucket": [2], "wh": [1000], "start_utc": [1752620400]},
    }
    text = result.to_json()
    assert text.startswith('{"lines":[{"amount":"0.30","bucket":2,')
    assert ", " not in text and ": " not in text
    assert "attribution" not in json.loads(text)
    no_intervals, no_wh = result.intervals_of_line(1)
    assert (no_intervals.tolist(), no_wh.tolist()) == ([], [])
    assert (no_intervals.dtype, no_wh.dtype) == (np.int64, np.int64)


def test_billing_period_edges_are_half_open():
    # A reading ending exactly at the period's start, or starting at its end, is outside.
    start, end = utc(2025, 7, 1, 7), utc(2025, 8, 1, 7)
    spans = [pricing.TariffSpan(summer_winter_plan(), start, end)]
    for rows in ([(utc(2025, 7, 1, 6, 45), 15, 1)], [(utc(2025, 8, 1, 7), 15, 1)]):
        with pytest.raises(RatingInputError, match="does not overlap"):
            pricing.price_period(
                readings(*rows), spans=spans, period_start_utc=start, period_end_utc=end
            )


def test_a_reading_over_the_period_start_keeps_only_its_share_inside():
    # 06:30-07:30 UTC (23:30 Jun 30 - 00:30 Jul 1 PDT), 1000 Wh: delivered by 07:00 is
    # 1000 x 1800 / 3600 = 500 Wh, so 500 Wh are July's, Off-peak 0.5 kWh x $0.05 = $0.03.
    start, end = utc(2025, 7, 1, 7), utc(2025, 8, 1, 7)
    result = pricing.price_period(
        readings((utc(2025, 7, 1, 6, 30), 60, 1000)),
        spans=[pricing.TariffSpan(summer_winter_plan(), start, end)],
        period_start_utc=start,
        period_end_utc=end,
    )

    assert summary(result) == [("Off-peak", Decimal("0.500"), Decimal("0.03"))]
    assert result.attribution.start_utc.tolist() == [int(start.timestamp())]


def test_cumulative_wh_rounds_half_up_and_keeps_the_ends():
    wh = np.array([3, 3, 3, 3], dtype=np.int64)
    duration = np.array([4, 4, 4, 4], dtype=np.int64)
    # 3 Wh over 4 s: 0, 0.75 -> 1, 1.5 -> 2, 2.25 -> 2 ... and 3 at the end.
    assert pricing.cumulative_wh(np.array([0, 1, 2, 3]), wh, duration).tolist() == [0, 1, 2, 2]
    assert pricing.cumulative_wh(np.array([4]), wh[:1], duration[:1]).tolist() == [3]


def test_a_vector_version_and_a_tou_version_price_one_period_each_by_its_own_rule():
    # v1 (TOU) to Jul 16 PDT, v2 (month vector, Jul weekday 16:00 at $1 + $0.5) after.
    # Tue Jul 15 16:00 PDT 1 kWh: v1 Peak $0.30; Wed Jul 16 16:00 PDT 1 kWh: v2 $1.00 + $0.50.
    boundary = utc(2025, 7, 16, 7)
    start, end = month_of_july_2025()
    second = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_month_day_type_hour={
            (7, DayType.WEEKDAY, 16): VectorPrice(Decimal("1"), Decimal("0.5"))
        },
    )
    spans = [
        pricing.TariffSpan(summer_winter_plan(), start, boundary, "v1"),
        pricing.TariffSpan(second, boundary, end, "v2"),
    ]
    intervals = readings((utc(2025, 7, 15, 23), 15, 1000), (utc(2025, 7, 16, 23), 15, 1000))

    result = pricing.price_period(
        intervals, spans=spans, period_start_utc=start, period_end_utc=end
    )

    assert summary(result) == [
        ("v1 Peak", Decimal("1.000"), Decimal("0.30")),
        ("v2 Jul weekday 16:00-17:00 generation", Decimal("1.000"), Decimal("1.00")),
        ("v2 Jul weekday 16:00-17:00 delivery", Decimal("1.000"), Decimal("0.50")),
    ]
    assert result.lines_of_interval(1) == ((1, 1000), (2, 1000))
    assert result.intervals_of_line(0)[0].tolist() == [0]


def test_fixed_items_that_change_between_versions_get_a_line_each():
    # $0.50 a day until Jul 16 (15 days), $0.60 after (16 days): 7.50 and 9.60.
    boundary = utc(2025, 7, 16, 7)
    start, end = month_of_july_2025()
    plan = summer_winter_plan()
    spans = [
        pricing.TariffSpan(
            replace(plan, fixed_items=(FixedItem("Daily", Decimal("0.50"), "day"),)),
            start,
            boundary,
        ),
        pricing.TariffSpan(
            replace(plan, fixed_items=(FixedItem("Daily", Decimal("0.60"), "day"),)), boundary, end
        ),
    ]
    empty = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    result = pricing.price_period(empty, spans=spans, period_start_utc=start, period_end_utc=end)

    assert summary(result) == [
        ("Daily", Decimal(15), Decimal("7.50")),
        ("Daily", Decimal(16), Decimal("9.60")),
    ]


def test_local_days_count_by_their_first_instant():
    # [Jul 1 00:00 PDT, Jul 3 12:00 PDT): Jul 1, 2 and 3 begin inside it; one month start.
    period = BillingPeriod(
        start_utc=int(utc(2025, 7, 1, 7).timestamp()), end_utc=int(utc(2025, 7, 3, 19).timestamp())
    )

    assert period.local_day_starts(LOS_ANGELES) == (
        date(2025, 7, 1),
        date(2025, 7, 2),
        date(2025, 7, 3),
    )
    assert period.local_month_starts(LOS_ANGELES) == (date(2025, 7, 1),)


def test_a_one_day_period_on_the_2nd_holds_no_month_start():
    period = BillingPeriod(
        start_utc=int(utc(2025, 7, 2, 7).timestamp()), end_utc=int(utc(2025, 7, 3, 7).timestamp())
    )

    assert period.local_day_starts(LOS_ANGELES) == (date(2025, 7, 2),)
    assert period.local_month_starts(LOS_ANGELES) == ()


def test_vector_lines_name_their_component():
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_month_day_type_hour={
            (7, DayType.WEEKDAY, 16): VectorPrice(Decimal("1"), Decimal("0.5"))
        },
    )

    result = vector.price_vector(readings((utc(2025, 7, 15, 23), 15, 1000)), tariff, **JULY)

    assert [line.component for line in result.lines] == ["generation", "delivery"]


def test_as_dict_leaves_the_attribution_out_unless_asked():
    result = tou.price_tou(readings((utc(2025, 7, 15, 23), 15, 1000)), summer_winter_plan(), **JULY)

    assert "attribution" not in result.as_dict()
    assert result.as_dict(with_attribution=True)["attribution"]["wh"] == [1000]


def test_a_billing_period_that_ends_where_it_starts_is_refused_naming_both_ends():
    start = utc(2025, 7, 1, 7)

    with pytest.raises(RatingInputError) as refusal:
        BillingPeriod.from_datetimes(start=start, end=start)

    assert str(refusal.value) == (
        "billing period: end 2025-07-01 07:00:00+00:00 must be after start "
        "2025-07-01 07:00:00+00:00"
    )
    # One second is the shortest period.
    assert BillingPeriod.from_datetimes(start=start, end=utc(2025, 7, 1, 7, 0).replace(second=1))


def test_no_readings_and_no_fixed_items_total_zero_dollars_in_cents():
    empty = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    result = tou.price_tou(empty, summer_winter_plan(), **JULY)

    assert result.lines == ()
    assert str(result.total) == "0.00"


def test_the_wh_left_over_goes_to_the_largest_remainder_not_the_largest_share():
    # 10 Wh over 100 min from 15:22 PDT on Tuesday 2025-07-15: 38 min Mid-peak (15:00 hour),
    # 62 min Peak (16:00 on). Exact shares 3.8 and 6.2 Wh: floors 3 + 6, and the 1 Wh left
    # goes to the larger remainder, Mid-peak's 0.8 (not to Peak, the larger share): 4 and 6.
    intervals = readings((utc(2025, 7, 15, 22, 22), 100, 10))

    result = tou.price_tou(intervals, summer_winter_plan(), **JULY)

    assert sorted((line.label, line.kwh) for line in result.lines) == [
        ("Mid-peak", Decimal("0.004")),
        ("Peak", Decimal("0.006")),
    ]


def test_an_energy_line_names_its_component_and_its_first_and_last_local_starts():
    # Weekday Peak (16:00-20:59 PDT) readings on Tue Jul 15 16:00, Wed Jul 16 17:00 and Thu
    # Jul 17 18:15 PDT: one "export" line whose energy starts first at 16:00 on the 15th and
    # last at 18:15 on the 17th, local time (UTC-7).
    intervals = readings(
        (utc(2025, 7, 15, 23), 15, 100),
        (utc(2025, 7, 17, 0), 15, 300),
        (utc(2025, 7, 18, 1, 15), 15, 200),
    )

    result = tou.price_tou(intervals, summer_winter_plan(), **JULY)

    assert [
        (
            line.label,
            line.component,
            line.kwh,
            line.first_local_start.isoformat(),
            line.last_local_start.isoformat(),
        )
        for line in result.lines
    ] == [
        (
            "Peak",
            "export",
            Decimal("0.600"),
            "2025-07-15T16:00:00-07:00",
            "2025-07-17T18:15:00-07:00",
        )
    ]
