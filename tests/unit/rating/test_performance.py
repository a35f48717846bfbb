"""Event performance and amounts, each number worked out by hand from the rule's text."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from settlement.rating import baselines, performance
from settlement.rating.performance import EventHours, NegativeHours

D = Decimal


def test_each_hour_is_floored_at_zero_by_default():
    # 17:00: 1400 - (-2600) = 4000 Wh; 18:00 imported more than the baseline:
    # 700 - 1200 = -500 Wh, paid 0 (not negative).
    result = performance.incremental_delivery(
        local_hours=[17, 18], baseline_wh=[D(1400), D(700)], actual_wh=[D(-2600), D(1200)]
    )

    assert [(h.local_hour, h.incremental_wh, h.paid_wh) for h in result.hours] == [
        (17, D(4000), D(4000)),
        (18, D(-500), D(0)),
    ]
    assert (result.baseline_wh, result.actual_wh) == (D(2100), D(-1400))
    assert (result.incremental_wh, result.paid_wh) == (D(3500), D(4000))


def test_offsetting_hours_net_within_the_event():
    result = performance.incremental_delivery(
        local_hours=[17, 18],
        baseline_wh=[D(1400), D(700)],
        actual_wh=[D(-2600), D(1200)],
        negative_hours=NegativeHours.OFFSET,
    )

    # 4000 - 500 = 3500 Wh.
    assert [h.paid_wh for h in result.hours] == [D(4000), D(-500)]
    assert result.paid_wh == D(3500)


def test_offsetting_hours_still_floor_the_event_at_zero():
    result = performance.incremental_delivery(
        local_hours=[17],
        baseline_wh=[D(100)],
        actual_wh=[D(500)],
        negative_hours=NegativeHours.OFFSET,
    )

    assert (result.incremental_wh, result.paid_wh) == (D(-400), D(0))


def test_hours_and_values_must_line_up():
    with pytest.raises(
        ValueError, match=r"^local_hours, baseline_wh and actual_wh must have one value per hour$"
    ):
        performance.incremental_delivery(local_hours=[17, 18], baseline_wh=[D(1)], actual_wh=[D(1)])


def test_a_two_hour_event_with_the_day_of_adjustment_at_its_upper_bound():
    """ELRP-style: 10 prior weekdays, adjustment over 13:00-15:00 bounded to 1.00-1.40."""
    event_day = date(2025, 7, 15)  # Tuesday; 4 July (a Friday) is a holiday
    holidays = frozenset({date(2025, 7, 4)})
    weekdays = [
        d
        for d in (event_day - timedelta(days=n) for n in range(1, 20))
        if d.weekday() < 5 and d not in holidays
    ][:10]
    # Day i (newest first) loads 1000 + 20 i Wh at 17:00, 1200 Wh at 18:00, 500 Wh at 13-15.
    candidates = [
        baselines.CandidateDay(
            d, {13: D(500), 14: D(500), 15: D(500), 17: D(1000 + 20 * i), 18: D(1200)}
        )
        for i, d in enumerate(weekdays)
    ]
    method = baselines.BaselineMethod(
        method=baselines.Method.X_OF_Y,
        weekday=baselines.PoolRule(10, 10, 10),
        weekend_holiday=baselines.PoolRule(4, 4, 4),
    )
    bounds = baselines.AdjustmentBounds(3, 1, D("1.00"), D("1.40"))
    window = baselines.adjustment_hours(first_event_hour=17, bounds=bounds)

    baseline = baselines.compute_baseline(
        event_day=event_day,
        hours=[*window, 17, 18],
        candidates=candidates,
        method=method,
        holidays=holidays,
    )
    # The event day loaded 800 Wh in each of 13-15: 2400 / 1500 = 1.6, bounded to 1.40.
    adjustment = baselines.day_of_adjustment(
        baseline_wh=baseline.hourly_wh,
        actual_wh={13: D(800), 14: D(800), 15: D(800)},
        hours=window,
        bounds=bounds,
    )
    adjusted = baselines.adjusted({h: baseline.hourly_wh[h] for h in (17, 18)}, adjustment.factor)
    # The charger exported 10 kWh in each event hour: net load -10000 Wh.
    delivery = performance.incremental_delivery(
        local_hours=[17, 18], baseline_wh=[adjusted[17], adjusted[18]], actual_wh=[D(-10000)] * 2
    )
    amount = performance.event_amount(paid_wh=delivery.paid_wh, price_per_kwh=D("2.00"))

    # 14, 11, 10, 9, 8, 7, 3, 2, 1 July and 30 June: ten weekdays back, skipping 4 July.
    assert baseline.used_days[0] == date(2025, 6, 30)
    assert date(2025, 7, 4) not in baseline.used_days
    # 17:00: mean of 1000 + 20 i for i = 0..9 = 1000 + 20 x 4.5 = 1090; 18:00: 1200.
    assert (baseline.hourly_wh[17], baseline.hourly_wh[18]) == (D(1090), D(1200))
    assert (adjustment.ratio, adjustment.factor) == (D("1.6"), D("1.40"))
    # 1090 x 1.4 = 1526; 1200 x 1.4 = 1680.
    assert adjusted == {17: D(1526), 18: D(1680)}
    # (1526 + 10000) + (1680 + 10000) = 23206 Wh = 23.206 kWh x $2 = 46.412 -> $46.41.
    assert delivery.paid_wh == D(23206)
    assert (amount.amount, amount.unrounded, amount.reason) == (D("46.41"), D("46.412"), "")


@pytest.mark.parametrize(
    ("pay_test_events", "amount", "reason"),
    [(False, D("0.00"), "test event: not paid"), (True, D("46.41"), "")],
)
def test_a_test_event_pays_only_when_the_program_says_so(pay_test_events, amount, reason):
    result = performance.event_amount(
        paid_wh=D(23206),
        price_per_kwh=D("2.00"),
        test_event=True,
        pay_test_events=pay_test_events,
    )

    assert (result.amount, result.reason) == (amount, reason)


def test_the_per_event_cap_limits_the_amount():
    result = performance.event_amount(
        paid_wh=D(23206), price_per_kwh=D("2.00"), per_event_cap=D("40.00")
    )

    assert (result.amount, result.reason) == (D("40.00"), "capped at 40.00 per event")


def test_an_amount_exactly_at_the_cap_is_not_marked_capped():
    result = performance.event_amount(
        paid_wh=D(20000), price_per_kwh=D("2.00"), per_event_cap=D("40.00")
    )

    assert (result.amount, result.reason) == (D("40.00"), "")


def test_below_the_minimum_payment_nothing_is_paid():
    result = performance.event_amount(
        paid_wh=D(23206), price_per_kwh=D("2.00"), minimum_payment=D("50.00")
    )

    assert (result.amount, result.unrounded) == (D("0.00"), D("46.412"))
    assert result.reason == "below the minimum payment of 50.00"


def test_exactly_the_minimum_payment_is_paid():
    result = performance.event_amount(
        paid_wh=D(25000), price_per_kwh=D("2.00"), minimum_payment=D("50.00")
    )

    assert result.amount == D("50.00")


def test_the_amount_is_rounded_half_up_once():
    # 5000 Wh x $0.001 = $0.005 -> $0.01 (half-even would give $0.00).
    assert performance.event_amount(paid_wh=D(5000), price_per_kwh=D("0.001")).amount == D("0.01")
    # 4999 Wh x $0.001 = $0.004999 -> $0.00.
    assert performance.event_amount(paid_wh=D(4999), price_per_kwh=D("0.001")).amount == D("0.00")


@pytest.mark.parametrize(
    ("paid_so_far", "cap", "allowed"),
    [
        (D("400.00"), D("500.00"), D("46.41")),
        (D("480.00"), D("500.00"), D("20.00")),
        (D("510.00"), D("500.00"), D("0.00")),
        (D("480.00"), None, D("46.41")),
    ],
)
def test_the_season_cap_allows_what_is_left(paid_so_far, cap, allowed):
    assert (
        performance.within_season_cap(amount=D("46.41"), paid_so_far=paid_so_far, cap=cap)
        == allowed
    )


def test_a_commitment_is_kw_times_hours():
    assert performance.committed_wh(committed_kw=D(5), duration_s=3 * 3600) == D(15000)
    assert performance.committed_wh(committed_kw=D("7.2"), duration_s=5400) == D(10800)


def test_an_accepted_offer_pays_delivered_energy_capped_at_the_commitment():
    over = performance.accepted_offer_amount(
        delivered_wh=D(18000), committed_wh=D(15000), price_per_kwh=D("0.80")
    )
    under = performance.accepted_offer_amount(
        delivered_wh=D(12000), committed_wh=D(15000), price_per_kwh=D("0.80")
    )

    # 15 kWh x 0.80 = 12.00 (the 3 kWh above the commitment are not paid); 12 x 0.80 = 9.60.
    assert (over.paid_wh, over.amount) == (D(15000), D("12.00"))
    assert (under.paid_wh, under.shortfall_wh, under.amount) == (D(12000), D(0), D("9.60"))


def test_a_commitment_shortfall_is_charged_below_the_share():
    result = performance.accepted_offer_amount(
        delivered_wh=D(12000),
        committed_wh=D(15000),
        price_per_kwh=D("0.80"),
        shortfall_price_per_kwh=D("0.25"),
        shortfall_below_share=D("0.9"),
    )

    # Threshold 0.9 x 15000 = 13500 Wh; shortfall 1500 Wh = 1.5 kWh x 0.25 = 0.375.
    # 12 kWh x 0.80 = 9.60; 9.60 - 0.375 = 9.225 -> 9.23 (half-up).
    assert result.shortfall_wh == D(1500)
    assert (result.energy_amount, result.shortfall_charge) == (D("9.6"), D("0.375"))
    assert result.amount == D("9.23")


def test_delivery_at_the_share_has_no_shortfall():
    result = performance.accepted_offer_amount(
        delivered_wh=D(13500),
        committed_wh=D(15000),
        price_per_kwh=D("0.80"),
        shortfall_price_per_kwh=D("0.25"),
        shortfall_below_share=D("0.9"),
    )

    assert (result.shortfall_wh, result.amount) == (D(0), D("10.80"))


def test_an_owner_who_imported_instead_owes_the_shortfall():
    result = performance.accepted_offer_amount(
        delivered_wh=D(-500),
        committed_wh=D(15000),
        price_per_kwh=D("0.80"),
        shortfall_price_per_kwh=D("0.25"),
        shortfall_below_share=D("0.9"),
    )

    # Nothing delivered counts as 0 Wh: shortfall 13.5 kWh x 0.25 = 3.375 -> -3.38.
    assert (result.paid_wh, result.shortfall_wh, result.amount) == (D(0), D(13500), D("-3.38"))


def test_a_missed_event_pulls_the_seasonal_capacity_average_down():
    attended = [EventHours(D(2), D(20000)), EventHours(D(2), D(16000))]

    without_miss = performance.seasonal_capacity_amount(events=attended, price_per_kw=D(225))
    with_miss = performance.seasonal_capacity_amount(
        events=[*attended, EventHours(D(2), None)], price_per_kw=D(225)
    )

    # 36 kWh over 4 h = 9 kW x $225 = $2,025; with the missed 2 h: 36 / 6 = 6 kW = $1,350.
    assert (without_miss.average_kw, without_miss.amount) == (D(9), D("2025.00"))
    assert (with_miss.event_hours, with_miss.delivered_wh) == (D(6), D(36000))
    assert (with_miss.average_kw, with_miss.amount) == (D(6), D("1350.00"))


def test_negative_delivery_counts_as_zero_kw_and_no_events_earn_nothing():
    mixed = performance.seasonal_capacity_amount(
        events=[EventHours(D(2), D(-1000)), EventHours(D(2), D(4000))], price_per_kw=D(225)
    )
    empty = performance.seasonal_capacity_amount(events=[], price_per_kw=D(225))

    assert (mixed.average_kw, mixed.amount) == (D(1), D("225.00"))
    assert (empty.average_kw, empty.amount) == (D(0), D("0.00"))


def test_availability_pays_for_enough_qualifying_windows():
    assert performance.availability_amount(
        qualifying_windows=15, windows_per_month=15, amount=D(10)
    ) == D("10.00")
    assert performance.availability_amount(
        qualifying_windows=14, windows_per_month=15, amount=D(10)
    ) == D("0.00")


def test_a_window_qualifies_only_when_charger_data_covers_all_of_it():
    eleven_hours = 11 * 3600  # 18:00-05:00
    assert performance.window_qualifies(covered_s=eleven_hours, window_s=eleven_hours)
    assert not performance.window_qualifies(covered_s=eleven_hours - 1, window_s=eleven_hours)
    assert not performance.window_qualifies(covered_s=0, window_s=0)


def test_a_one_off_pays_up_to_its_cap():
    assert performance.one_off_amount(payments_made=0, max_payments=1, amount=D(50)) == D("50.00")
    assert performance.one_off_amount(payments_made=1, max_payments=1, amount=D(50)) == D("0.00")
    assert performance.one_off_amount(payments_made=1, max_payments=2, amount=D(50)) == D("50.00")


def test_the_offer_ceiling_is_max_kw_times_hours_times_price_capped():
    # 11.5 kW x 2 h x $2 = $46.00; capped at $40.
    assert performance.offer_ceiling(max_kw=D("11.5"), duration_s=7200, price_per_kwh=D(2)) == D(
        "46.00"
    )
    assert performance.offer_ceiling(
        max_kw=D("11.5"), duration_s=7200, price_per_kwh=D(2), per_event_cap=D(40)
    ) == D("40.00")
    # 11.5 x 3 x 0.333 = 11.4885 -> 11.49.
    assert performance.offer_ceiling(
        max_kw=D("11.5"), duration_s=10800, price_per_kwh=D("0.333")
    ) == D("11.49")


def test_the_estimate_is_the_median_past_delivery_scaled_to_the_offer():
    odd = performance.estimate_from_history(
        past_kwh_per_hour=[D(8), D(10), D(6)], hours=D(2), price_per_kwh=D(2), ceiling=D(46)
    )
    even = performance.estimate_from_history(
        past_kwh_per_hour=[D(6), D(10)], hours=D(2), price_per_kwh=D(2), ceiling=D(30)
    )
    none = performance.estimate_from_history(
        past_kwh_per_hour=[], hours=D(2), price_per_kwh=D(2), ceiling=D(46)
    )

    # Median 8 kWh/h x 2 h = 16 kWh x $2 = $32.00.
    assert (odd.past_events, odd.median_kwh_per_hour, odd.kwh, odd.amount) == (
        3,
        D(8),
        D(16),
        D("32.00"),
    )
    # Median of 6 and 10 is 8: $32, above the $30 ceiling.
    assert (even.median_kwh_per_hour, even.amount) == (D(8), D(30))
    assert none == performance.Estimate(0, None, None, None)


def test_an_event_with_no_hours_delivers_decimal_zeros():
    # Energy is Decimal all the way to the amount: an empty event is Decimal 0, not int 0.
    result = performance.incremental_delivery(local_hours=[], baseline_wh=[], actual_wh=[])

    totals = (result.baseline_wh, result.actual_wh, result.incremental_wh, result.paid_wh)
    assert [(type(total), total) for total in totals] == [(Decimal, D(0))] * 4


def test_a_test_event_is_unpaid_unless_the_program_says_otherwise():
    # pay_test_events is off by default: 5 kWh x $1 would be $5.00, a test event earns $0.00.
    result = performance.event_amount(paid_wh=D(5000), price_per_kwh=D(1), test_event=True)

    assert (result.amount, result.unrounded, result.reason) == (
        D("0.00"),
        D(0),
        "test event: not paid",
    )
    assert type(result.unrounded) is Decimal


def test_a_shortfall_needs_both_its_price_and_its_share():
    # 12 kWh delivered of 15 committed at $0.80 = $9.60. A shortfall price without a share
    # (or a share without a price) is no shortfall rule: nothing is charged, none counted.
    price_only = performance.accepted_offer_amount(
        delivered_wh=D(12000),
        committed_wh=D(15000),
        price_per_kwh=D("0.80"),
        shortfall_price_per_kwh=D("0.25"),
    )
    share_only = performance.accepted_offer_amount(
        delivered_wh=D(12000),
        committed_wh=D(15000),
        price_per_kwh=D("0.80"),
        shortfall_below_share=D("0.9"),
    )

    for result in (price_only, share_only):
        assert (result.delivered_wh, result.committed_wh) == (D(12000), D(15000))
        assert (result.shortfall_wh, result.shortfall_charge, result.amount) == (
            D(0),
            D(0),
            D("9.60"),
        )


def test_a_season_without_events_has_decimal_zero_hours_and_energy():
    empty = performance.seasonal_capacity_amount(events=[], price_per_kw=D(225))

    assert [(type(value), value) for value in (empty.event_hours, empty.delivered_wh)] == [
        (Decimal, D(0)),
        (Decimal, D(0)),
    ]
