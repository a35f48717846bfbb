"""Properties of the rating engine that must hold for any readings."""

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.rating import holiday_calendars, pricing, tou
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import MAX_DURATION_S, MAX_WH, IntervalArrays
from settlement.rating.money import round_to_cents
from settlement.rating.tariff import Tier, TouPeriod
from tests.unit.rating.plans import epoch, examples, month_of_july_2025, summer_winter_plan, utc

JULY_START, JULY_END = month_of_july_2025()
PLAN = summer_winter_plan(holiday_calendars.holiday_dates("PGE", [2025]))


@st.composite
def july_readings(draw):
    # Any start and length inside July (seconds), so many cross hour and period boundaries.
    count = draw(st.integers(min_value=1, max_value=40))
    first, last = epoch(JULY_START), epoch(JULY_END)
    starts, durations, energy = [], [], []
    for _ in range(count):
        duration = draw(st.integers(min_value=1, max_value=6 * 3600))
        starts.append(draw(st.integers(min_value=first, max_value=last - duration)))
        durations.append(duration)
        energy.append(draw(st.integers(min_value=0, max_value=50_000)))
    return IntervalArrays.from_sequences(start_utc=starts, duration_s=durations, wh=energy)


def price(intervals):
    return tou.price_tou(intervals, PLAN, period_start_utc=JULY_START, period_end_utc=JULY_END)


@settings(max_examples=examples(150), deadline=None)
@given(july_readings())
def test_energy_in_the_lines_is_the_energy_in(intervals):
    result = price(intervals)

    assert sum(line.kwh for line in result.lines) * 1000 == int(intervals.wh.sum())
    per_interval = np.zeros(len(intervals), dtype=np.int64)
    np.add.at(per_interval, result.attribution.interval, result.attribution.wh)
    assert per_interval.tolist() == intervals.wh.tolist()
    assert result.total == sum(line.amount for line in result.lines)


@st.composite
def hourly_readings_and_their_splits(draw):
    # Hourly readings on whole local hours, each split into pieces at arbitrary seconds with
    # an arbitrary integer share of its Wh: every piece stays inside its hour, so each line
    # holds the same Wh and the total may move by at most a cent a line (it moves by none).
    hours = draw(st.lists(st.integers(min_value=0, max_value=31 * 24 - 1), min_size=1, max_size=20))
    whole, parts = [], []
    for hour in hours:
        start = epoch(JULY_START) + hour * 3600
        wh = draw(st.integers(min_value=0, max_value=20_000))
        cuts = sorted(set(draw(st.lists(st.integers(1, 3599), max_size=4))))
        bounds = [0, *cuts, 3600]
        shares = draw(
            st.lists(st.integers(0, wh), min_size=len(bounds) - 2, max_size=len(bounds) - 2)
        )
        points = sorted(shares)
        pieces_wh = [b - a for a, b in zip([0, *points], [*points, wh], strict=True)]
        whole.append((start, 3600, wh))
        parts.extend(
            (start + low, high - low, piece)
            for low, high, piece in zip(bounds[:-1], bounds[1:], pieces_wh, strict=True)
        )
    return _arrays(whole), _arrays(parts)


def _arrays(rows):
    return IntervalArrays.from_sequences(
        start_utc=[row[0] for row in rows],
        duration_s=[row[1] for row in rows],
        wh=[row[2] for row in rows],
    )


@settings(max_examples=examples(100), deadline=None)
@given(hourly_readings_and_their_splits())
def test_splitting_readings_moves_the_total_by_at_most_a_cent_per_line(pair):
    whole, parts = pair

    whole_result, parts_result = price(whole), price(parts)

    assert abs(whole_result.total - parts_result.total) <= Decimal("0.01") * len(whole_result.lines)
    assert [(line.label, line.kwh) for line in whole_result.lines] == [
        (line.label, line.kwh) for line in parts_result.lines
    ]


@settings(max_examples=examples(100), deadline=None)
@given(
    offsets=st.lists(st.integers(0, 7 * 86_400 - 1), min_size=1, max_size=30),
    energy=st.data(),
    weeks=st.sampled_from([1, 2, 3, 4, 5, 6, 7, 9, 10]),
)
def test_shifting_readings_by_whole_weeks_in_summer_leaves_prices_unchanged(offsets, energy, weeks):
    # Base week Mon 2025-07-07 .. Sun 07-13 (PDT). Shifts stay in June-September, away from
    # DST changes; week 8 (Mon 2025-09-01, Labor Day) is left out because it is a holiday.
    base = epoch(utc(2025, 7, 7, 7))
    wh = [energy.draw(st.integers(0, 10_000)) for _ in offsets]
    durations = [900] * len(offsets)
    original = IntervalArrays.from_sequences(
        start_utc=[base + offset for offset in offsets], duration_s=durations, wh=wh
    )
    shifted = IntervalArrays.from_sequences(
        start_utc=[base + offset + weeks * 7 * 86_400 for offset in offsets],
        duration_s=durations,
        wh=wh,
    )
    summer_start, summer_end = utc(2025, 6, 1, 7), utc(2025, 10, 1, 7)

    before = tou.price_tou(original, PLAN, period_start_utc=summer_start, period_end_utc=summer_end)
    after = tou.price_tou(shifted, PLAN, period_start_utc=summer_start, period_end_utc=summer_end)

    assert [(line.label, line.kwh, line.amount) for line in before.lines] == [
        (line.label, line.kwh, line.amount) for line in after.lines
    ]
    assert before.total == after.total


# What ingestion can store: Wh >= 0 (VEE refuses negative energy) and durations up to
# MAX_DURATION_S. A channel with a kW bound stores at most 99,999.999 kW x 31 days, about
# 7.4 x 10^10 Wh, below MAX_WH; a site without one can store more, which the core refuses
# naming the reading (the next test). So 0 .. MAX_WH is every amount the core prices.
YEAR_START, YEAR_END = utc(2025, 1, 1, 8), utc(2026, 1, 1, 8)
TIERED_PLAN = replace(
    PLAN,
    periods=(
        TouPeriod(
            "Off-peak",
            Decimal("0.05"),
            tiers=(Tier(Decimal("1000"), Decimal("0.05")), Tier(None, Decimal("0.02"))),
        ),
        *PLAN.periods[1:],
    ),
)


@st.composite
def accepted_readings(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    first, last = epoch(YEAR_START), epoch(YEAR_END)
    starts, durations, energy = [], [], []
    for _ in range(count):
        duration = draw(
            st.sampled_from([1, 900, 3600, 86_400, MAX_DURATION_S]) | st.integers(1, MAX_DURATION_S)
        )
        # Readings may reach over either edge of the year: only their share inside is priced.
        starts.append(draw(st.integers(min_value=first - duration + 1, max_value=last - 1)))
        durations.append(duration)
        energy.append(draw(st.sampled_from([0, 1, MAX_WH]) | st.integers(0, MAX_WH)))
    return IntervalArrays.from_sequences(start_utc=starts, duration_s=durations, wh=energy)


def share_inside(start: int, duration: int, wh: int) -> int:
    """Return the Wh of a reading inside the year, in Python integers (no int64 to wrap).

    The rule of docs/rating.md: delivered(t) = wh x t / duration rounded half-up to a Wh;
    the part inside is delivered(at the year's end) - delivered(at its start).
    """

    def delivered(instant: int) -> int:
        elapsed = min(max(instant, start), start + duration) - start
        exact = Fraction(wh * elapsed, duration)
        return int(exact + Fraction(1, 2)) if exact >= 0 else 0

    return delivered(epoch(YEAR_END)) - delivered(epoch(YEAR_START))


@settings(max_examples=examples(150), deadline=None)
@given(accepted_readings(), st.sampled_from([PLAN, TIERED_PLAN]))
def test_no_accepted_reading_makes_a_wrong_sign_or_a_wrapped_amount(intervals, plan):
    # Every price is positive, so every amount must be >= 0, each line exactly kWh x price
    # rounded once, and the Wh priced exactly the Wh inside the year.
    result = pricing.price_period(
        intervals,
        spans=[pricing.TariffSpan(plan, YEAR_START, YEAR_END)],
        period_start_utc=YEAR_START,
        period_end_utc=YEAR_END,
    )

    for line in result.lines:
        assert line.amount >= 0
        assert line.amount == round_to_cents(line.kwh * line.price)
    assert result.total == sum(line.amount for line in result.lines)
    inside = sum(
        share_inside(start, duration, wh)
        for start, duration, wh in zip(
            intervals.start_utc.tolist(),
            intervals.duration_s.tolist(),
            intervals.wh.tolist(),
            strict=True,
        )
    )
    assert sum(line.kwh for line in result.lines) * 1000 == inside
    assert int(result.attribution.wh.sum()) == inside
    assert all(int(wh) >= 0 for wh in result.attribution.wh)


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(MAX_WH + 1, 2**63 - 1))
def test_a_reading_above_the_bound_is_refused_never_priced(wh):
    with pytest.raises(RatingInputError, match=rf"^wh\[0\]: {wh} is outside"):
        IntervalArrays.from_sequences(start_utc=[0], duration_s=[3600], wh=[wh])
