"""Pricing a chunk's channels in one call gives each exactly what pricing it alone gives."""

from dataclasses import replace
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.rating import batches, holiday_calendars, tou, vector
from settlement.rating.billing_period import BillingPeriod
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import IntervalArrays
from settlement.rating.result import RatingResult
from settlement.rating.tariff import (
    DayType,
    FixedItem,
    HourlyVectorTariff,
    Tier,
    TouPeriod,
    VectorPrice,
)
from tests.unit.rating.plans import (
    LOS_ANGELES,
    epoch,
    examples,
    month_of_july_2025,
    readings,
    summer_winter_plan,
    utc,
)

JULY_START, JULY_END = month_of_july_2025()
JULY = {"period_start_utc": JULY_START, "period_end_utc": JULY_END}
PLAN = summer_winter_plan(holiday_calendars.holiday_dates("PGE", [2025]))


def tiered(basis: str):
    # Peak: $0.30 up to 2 kWh, $0.10 above, per local month or day.
    periods = list(PLAN.periods)
    periods[2] = TouPeriod(
        "Peak",
        Decimal("0.30"),
        tiers=(Tier(Decimal("2"), Decimal("0.30")), Tier(None, Decimal("0.10"))),
    )
    return replace(PLAN, periods=tuple(periods), tier_basis=basis)


def with_fixed_and_bounds(plan):
    return replace(
        plan,
        fixed_items=(FixedItem("Meter credit", Decimal("0.10"), "day"),),
        minimum_total=Decimal("4.00"),
        maximum_total=Decimal("9.00"),
    )


# July weekdays priced at 16:00-20:59 only: any other hour's energy is refused by `describe`.
AFTERNOON_VECTOR = HourlyVectorTariff(
    time_zone=LOS_ANGELES,
    by_month_day_type_hour={
        (7, day_type, hour): VectorPrice(Decimal("0.1234"), Decimal("0.0101"))
        for day_type in DayType
        for hour in range(16, 21)
    },
)
FULL_VECTOR = HourlyVectorTariff(
    time_zone=LOS_ANGELES,
    by_month_day_type_hour={
        (month, day_type, hour): VectorPrice(
            Decimal(40_000 + 13 * hour + 100 * month).scaleb(-6), Decimal("0.0123")
        )
        for month in range(1, 13)
        for day_type in DayType
        for hour in range(24)
    },
)
TARIFFS = [
    PLAN,
    tiered("monthly"),
    tiered("daily"),
    with_fixed_and_bounds(PLAN),
    with_fixed_and_bounds(tiered("daily")),
    FULL_VECTOR,
    AFTERNOON_VECTOR,
]


def alone(intervals, tariff):
    try:
        # A reading over an edge of the period is priced by its share inside (issue 17):
        # the same rule, applied to this channel alone.
        period = BillingPeriod.from_datetimes(start=JULY_START, end=JULY_END)
        intervals = period.shares_inside(intervals)
        if isinstance(tariff, HourlyVectorTariff):
            return vector.price_vector(intervals, tariff, **JULY)
        return tou.price_tou(intervals, tariff, **JULY)
    except RatingInputError as error:
        return error


def comparable(outcome):
    # Everything a caller can see: lines, total, zone, attribution rows in order; or the
    # refusal's type and message.
    if isinstance(outcome, RatingInputError):
        return ("refused", str(outcome))
    assert isinstance(outcome, RatingResult)
    attribution = outcome.attribution
    return (
        outcome.time_zone,
        outcome.lines,
        outcome.total,
        [
            (array.dtype, array.tolist())
            for array in (
                attribution.interval,
                attribution.bucket,
                attribution.wh,
                attribution.start_utc,
            )
        ],
    )


@st.composite
def channel_readings(draw):
    # Quarter hours, hours, odd lengths crossing hour and period starts, and now and then a
    # reading that runs past the end of July (refused for that channel only).
    count = draw(st.integers(min_value=0, max_value=12))
    first, last = epoch(JULY_START), epoch(JULY_END)
    starts, durations, energy = [], [], []
    for _ in range(count):
        duration = draw(st.sampled_from([900, 3600, 1, 5400, 7 * 3600]))
        latest = last - 1 if draw(st.integers(0, 30)) == 0 else last - duration
        starts.append(draw(st.integers(min_value=first, max_value=latest)))
        durations.append(duration)
        energy.append(draw(st.integers(min_value=0, max_value=4_000)))
    return IntervalArrays.from_sequences(start_utc=starts, duration_s=durations, wh=energy)


@settings(max_examples=examples(150), deadline=None)
@given(
    tariff=st.sampled_from(TARIFFS),
    channels=st.lists(channel_readings(), min_size=1, max_size=6),
)
def test_each_batch_gets_exactly_what_pricing_it_alone_gives(tariff, channels):
    together = batches.price_batches(channels, tariff, **JULY)

    assert [comparable(outcome) for outcome in together] == [
        comparable(alone(channel, tariff)) for channel in channels
    ]


def test_tiers_fill_per_channel_not_across_the_chunk():
    # Two channels each export 1.5 kWh at 16:00 PDT on Tuesday 2025-07-15 (weekday Peak).
    # Alone, each stays inside tier 1 (2 kWh): 1.500 x 0.30 = $0.45 each. Filled across the
    # chunk they would reach tier 2.
    channel = readings((utc(2025, 7, 15, 23), 60, 1500))

    first, second = batches.price_batches([channel, channel], tiered("monthly"), **JULY)

    for outcome in (first, second):
        assert isinstance(outcome, RatingResult)
        assert [(line.label, line.kwh, line.amount) for line in outcome.lines] == [
            ("Peak tier 1", Decimal("1.500"), Decimal("0.45"))
        ]
        assert outcome.attribution.interval.tolist() == [0]


def test_a_refused_channel_does_not_refuse_the_others():
    # 10:00 PDT has no price in the afternoon vector: that channel alone is refused, naming
    # the key; the other is priced (16:00 PDT, 1 kWh: 1 x 0.1234 = $0.12, 1 x 0.0101 = $0.01).
    priced = readings((utc(2025, 7, 15, 23), 60, 1000))
    unpriced = readings((utc(2025, 7, 15, 17), 60, 1000))

    first, second = batches.price_batches([priced, unpriced], AFTERNOON_VECTOR, **JULY)

    assert isinstance(first, RatingResult)
    assert [line.amount for line in first.lines] == [Decimal("0.12"), Decimal("0.01")]
    assert isinstance(second, RatingInputError)
    assert str(second) == "no price for Jul weekday hour 10"


def test_a_utc_hour_without_a_price_refuses_only_the_channel_that_needs_it():
    hour = epoch(utc(2025, 7, 15, 10))
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES, by_utc_hour={hour: VectorPrice(Decimal("0.10"), Decimal("0.01"))}
    )
    period = {"period_start_utc": utc(2025, 7, 15), "period_end_utc": utc(2025, 7, 16)}
    priced = readings((utc(2025, 7, 15, 10), 60, 2000))
    unpriced = readings((utc(2025, 7, 15, 12), 60, 2000))

    first, second = batches.price_batches([priced, unpriced], tariff, **period)

    assert isinstance(first, RatingResult)
    assert first.total == Decimal("0.22")  # 2 kWh x 0.10 + 2 kWh x 0.01
    assert isinstance(second, RatingInputError)
    assert "UTC hour starting 2025-07-15T12:00:00+00:00" in str(second)


def test_no_channels_give_no_outcomes_and_empty_channels_get_fixed_lines_only():
    plan = with_fixed_and_bounds(PLAN)
    empty = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    assert batches.price_batches([], plan, **JULY) == []
    (outcome,) = batches.price_batches([empty], plan, **JULY)
    # 31 days x $0.10 = $3.10, topped up to the $4.00 minimum.
    assert isinstance(outcome, RatingResult)
    assert [(line.label, line.amount) for line in outcome.lines] == [
        ("Meter credit", Decimal("3.10")),
        ("Minimum total top-up", Decimal("0.90")),
    ]
    assert outcome.attribution.interval.dtype == np.int64


def test_a_channel_outside_the_period_is_refused_and_the_channels_after_it_are_priced():
    # The first channel's reading starts at 00:00 PDT on Aug 1 (07:00 UTC), the end of July:
    # it does not overlap the period and is refused, naming it; the second (1.5 kWh at
    # 16:00 PDT on Tuesday Jul 15, weekday Peak, tier 1 at $0.30) is priced: $0.45.
    late = epoch(utc(2025, 8, 1, 7))
    outside = IntervalArrays.from_sequences(start_utc=[late], duration_s=[7200], wh=[10])
    inside = readings((utc(2025, 7, 15, 23), 60, 1500))

    first, second = batches.price_batches([outside, inside], tiered("monthly"), **JULY)

    assert isinstance(first, RatingInputError)
    assert str(first) == (
        f"intervals[0]: [{late}, {late + 7200}) does not overlap the billing period "
        f"[{epoch(JULY_START)}, {epoch(JULY_END)})"
    )
    assert isinstance(second, RatingResult)
    assert [(line.label, line.amount) for line in second.lines] == [
        ("Peak tier 1", Decimal("0.45"))
    ]


def test_a_channel_refused_line_by_line_does_not_stop_the_channels_after_it():
    # As above with the unpriced channel first: 10:00 PDT has no price; 16:00 PDT, 1 kWh:
    # 1 x 0.1234 = $0.12 and 1 x 0.0101 = $0.01.
    unpriced = readings((utc(2025, 7, 15, 17), 60, 1000))
    priced = readings((utc(2025, 7, 15, 23), 60, 1000))

    first, second = batches.price_batches([unpriced, priced], AFTERNOON_VECTOR, **JULY)

    assert isinstance(first, RatingInputError)
    assert str(first) == "no price for Jul weekday hour 10"
    assert isinstance(second, RatingResult)
    assert [line.amount for line in second.lines] == [Decimal("0.12"), Decimal("0.01")]


def test_the_maximum_caps_each_channel_on_its_own_total():
    # Peak $0.30 up to 2 kWh a month, $0.10 above; maximum $0.50 a channel. At 16:00 PDT on
    # Tuesday Jul 15: channel A 1.5 kWh -> $0.45, under the cap. Channel B 5 kWh -> 2 x 0.30
    # + 3 x 0.10 = $0.90, capped by -$0.40 to $0.50.
    plan = replace(tiered("monthly"), maximum_total=Decimal("0.50"))
    small = readings((utc(2025, 7, 15, 23), 60, 1500))
    large = readings((utc(2025, 7, 15, 23), 60, 5000))

    first, second = batches.price_batches([small, large], plan, **JULY)

    assert isinstance(first, RatingResult) and isinstance(second, RatingResult)
    assert first.time_zone == second.time_zone == LOS_ANGELES
    assert [(line.label, line.amount) for line in first.lines] == [("Peak tier 1", Decimal("0.45"))]
    assert first.total == Decimal("0.45")
    assert [(line.label, line.amount) for line in second.lines] == [
        ("Peak tier 1", Decimal("0.60")),
        ("Peak tier 2", Decimal("0.30")),
        ("Maximum total cap", Decimal("-0.40")),
    ]
    assert second.total == Decimal("0.50")


def test_a_reading_over_the_period_end_prices_only_its_share_inside():
    # 1001 Wh from 23:00 PDT Jul 31 for 2 hours (06:00-08:00 UTC Aug 1); July ends at 07:00
    # UTC. July's share is cumulative(3600 s) = 1001 x 3600 / 7200 = 500.5 -> 501 Wh (half-up),
    # at 23:00 PDT on a Thursday: weekday Off-peak (untiered) at $0.05: 0.501 x 0.05 = 0.02505
    # -> $0.03. Attribution names the reading with its 501 Wh.
    crossing = IntervalArrays.from_sequences(
        start_utc=[epoch(utc(2025, 8, 1, 6))], duration_s=[7200], wh=[1001]
    )

    (outcome,) = batches.price_batches([crossing], tiered("monthly"), **JULY)

    assert isinstance(outcome, RatingResult)
    assert [(line.label, line.kwh, line.amount) for line in outcome.lines] == [
        ("Off-peak", Decimal("0.501"), Decimal("0.03"))
    ]
    assert outcome.attribution.interval.tolist() == [0]
    assert outcome.attribution.wh.tolist() == [501]
