"""Readings that cross a day, month, version or billing-period boundary, and huge readings."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from settlement.rating import pricing, tou
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import MAX_DURATION_S, MAX_WH, IntervalArrays
from settlement.rating.tariff import (
    FixedItem,
    HourlyVectorTariff,
    Tier,
    TouPeriod,
    TouTariff,
    VectorPrice,
)
from tests.unit.rating.plans import LOS_ANGELES, epoch, readings, utc

LA = ZoneInfo(LOS_ANGELES)
ALL_DAY = tuple(tuple(0 for _ in range(24)) for _ in range(12))


def local(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LA)


def flat(price, **extra):
    """Return a one-period tariff: every hour of the year at `price` $/kWh."""
    return TouTariff(
        time_zone=LOS_ANGELES,
        periods=(TouPeriod("Flat", Decimal(price)),),
        weekday_schedule=ALL_DAY,
        weekend_schedule=ALL_DAY,
        **extra,
    )


def tiered(basis, ceiling_kwh):
    """Return a one-period tariff: $0.10 up to the ceiling per day or month, $0.05 above."""
    tiers = (Tier(Decimal(ceiling_kwh), Decimal("0.10")), Tier(None, Decimal("0.05")))
    return TouTariff(
        time_zone=LOS_ANGELES,
        periods=(TouPeriod("Flat", Decimal("0.10"), tiers=tiers),),
        weekday_schedule=ALL_DAY,
        weekend_schedule=ALL_DAY,
        tier_basis=basis,
    )


def summary(result):
    return [(line.label, line.quantity, line.amount) for line in result.lines]


def test_a_reading_too_large_to_price_exactly_is_refused_naming_it():
    # 2 x 10^14 Wh in 24 hours under $0.125 would be $25,000,000,000.00; int64 Wh x seconds
    # wrapped it to a negative amount. The core refuses what it cannot price exactly.
    with pytest.raises(RatingInputError, match=r"wh\[0\]: 200000000000000 is outside"):
        IntervalArrays.from_sequences(start_utc=[0], duration_s=[86_400], wh=[2 * 10**14])


def test_the_largest_reading_accepted_is_priced_exactly_across_every_hour():
    # MAX_WH (10^12 Wh = 10^9 kWh) over MAX_DURATION_S (31 days), starting 00:30 local so it
    # is cut at 744 hour starts: the shares add back to 10^9 kWh, x $0.125 = $125,000,000.00.
    start = local(2025, 1, 1, 0, 30)
    intervals = IntervalArrays.from_sequences(
        start_utc=[int(start.timestamp())], duration_s=[MAX_DURATION_S], wh=[MAX_WH]
    )

    result = tou.price_tou(
        intervals,
        flat("0.125"),
        period_start_utc=local(2025, 1, 1),
        period_end_utc=local(2025, 3, 1),
    )

    assert summary(result) == [("Flat", Decimal("1000000000.000"), Decimal("125000000.00"))]


def test_longer_than_31_days_or_before_year_1_is_refused():
    with pytest.raises(RatingInputError, match=r"duration_s\[0\]"):
        IntervalArrays.from_sequences(start_utc=[0], duration_s=[MAX_DURATION_S + 1], wh=[1])
    with pytest.raises(RatingInputError, match=r"start_utc\[1\]"):
        IntervalArrays.from_sequences(start_utc=[0, -(2**62)], duration_s=[1, 1], wh=[1, 1])


def test_a_monthly_tier_ceiling_counts_february_energy_in_february():
    # Tier 1 up to 10 kWh a local month at $0.10, then $0.05. Jan 31 22:00-23:00 PST holds
    # 9,000 Wh; a 2-hour reading Jan 31 23:00 - Feb 1 01:00 PST of 4,000 Wh is half in each
    # month by time: 2,000 Wh in January, 2,000 Wh in February.
    # January: 9,000 + 2,000 = 11,000 Wh -> tier 1 10.000 kWh, tier 2 1.000 kWh.
    # February: 2,000 Wh -> tier 1. Tier 1: 12.000 kWh x 0.10 = $1.20; tier 2: 1.000 x 0.05
    # = $0.05. (Counting the whole 4,000 Wh in January gave tier 2 3.000 kWh.)
    intervals = readings((utc(2026, 2, 1, 6), 60, 9_000), (utc(2026, 2, 1, 7), 120, 4_000))

    result = tou.price_tou(
        intervals,
        tiered("monthly", "10"),
        period_start_utc=local(2026, 1, 1),
        period_end_utc=local(2026, 3, 1),
    )

    assert summary(result) == [
        ("Flat tier 1", Decimal("12.000"), Decimal("1.20")),
        ("Flat tier 2", Decimal("1.000"), Decimal("0.05")),
    ]


def test_a_daily_tier_ceiling_counts_the_next_days_energy_on_the_next_day():
    # Tier 1 up to 1 kWh a local day. Jan 10 22:00-23:00 PST: 800 Wh; Jan 10 23:00 - Jan 11
    # 01:00 PST: 1,000 Wh, 500 Wh on each day. Jan 10: 1,300 Wh -> 1.000 tier 1, 0.300 tier 2;
    # Jan 11: 0.500 tier 1. Tier 1 1.500 kWh x 0.10 = $0.15; tier 2 0.300 x 0.05 = 0.015 ->
    # $0.02 (half-up).
    intervals = readings((utc(2026, 1, 11, 6), 60, 800), (utc(2026, 1, 11, 7), 120, 1_000))

    result = tou.price_tou(
        intervals,
        tiered("daily", "1"),
        period_start_utc=local(2026, 1, 1),
        period_end_utc=local(2026, 2, 1),
    )

    assert summary(result) == [
        ("Flat tier 1", Decimal("1.500"), Decimal("0.15")),
        ("Flat tier 2", Decimal("0.300"), Decimal("0.02")),
    ]
    # The 1,000 Wh reading: 200 + 500 Wh in tier 1 (two days, one line), 300 Wh in tier 2.
    assert result.lines_of_interval(1) == ((0, 700), (1, 300))


def yearly_versions(first, second, start, end):
    """Return spans [start, Jan 1 2026) priced by `first` and [Jan 1 2026, end) by `second`."""
    return [
        pricing.TariffSpan(first, start, local(2026, 1, 1), "v1"),
        pricing.TariffSpan(second, local(2026, 1, 1), end, "v2"),
    ]


def test_a_reading_across_local_new_year_is_priced_by_both_yearly_versions():
    # Dec 31 23:30 PST - Jan 1 00:30 PST, 1,001 Wh: half the time in each version. Energy
    # delivered by midnight = 1,001 x 1800 / 3600 = 500.5 -> 501 Wh (half-up), so v1 gets
    # 501 Wh and v2 500 Wh. v1: 0.501 x $0.10 = 0.0501 -> $0.05; v2: 0.500 x $0.20 = $0.10.
    start, end = local(2025, 12, 1), local(2026, 2, 1)
    intervals = readings((utc(2026, 1, 1, 7, 30), 60, 1_001))

    result = pricing.price_period(
        intervals,
        spans=yearly_versions(flat("0.10"), flat("0.20"), start, end),
        period_start_utc=start,
        period_end_utc=end,
    )

    assert summary(result) == [
        ("v1 Flat", Decimal("0.501"), Decimal("0.05")),
        ("v2 Flat", Decimal("0.500"), Decimal("0.10")),
    ]
    assert result.total == Decimal("0.15")
    assert result.lines_of_interval(0) == ((0, 501), (1, 500))


def test_adjacent_billing_periods_share_a_reading_without_losing_a_wh():
    # The same 1,001 Wh reading across local midnight Jan 1, priced in December's statement
    # and in January's: 501 Wh and 500 Wh, computed apart, 1,001 Wh together.
    intervals = readings((utc(2026, 1, 1, 7, 30), 60, 1_001))
    december = (local(2025, 12, 1), local(2026, 1, 1))
    january = (local(2026, 1, 1), local(2026, 2, 1))

    shares = []
    for start, end in (december, january):
        result = pricing.price_period(
            intervals,
            spans=[pricing.TariffSpan(flat("0.10"), start, end)],
            period_start_utc=start,
            period_end_utc=end,
        )
        shares.append(result.lines[0].kwh)

    assert shares == [Decimal("0.501"), Decimal("0.500")]


def test_fixed_items_and_the_maximum_apply_once_to_the_billing_period():
    # $0.50 a day in both versions, Dec 15 - Jan 15: 17 + 14 = 31 local days -> one line,
    # 31 x 0.50 = $15.50. Energy: 8 kWh on Dec 20 and 8 kWh on Jan 10 at $0.10 = $0.80 each.
    # Lines 0.80 + 0.80 + 15.50 = $17.10 against v1's maximum of $10.00: one cap of -$7.10.
    # (Bounding each version's part on its own caps neither: 0.80 + 8.50 and 0.80 + 7.00.)
    daily = (FixedItem("Participation", Decimal("0.50"), "day"),)
    first = flat("0.10", fixed_items=daily, maximum_total=Decimal("10.00"))
    second = flat("0.10", fixed_items=daily, maximum_total=Decimal("10.00"))
    start, end = local(2025, 12, 15), local(2026, 1, 15)
    intervals = readings((utc(2025, 12, 20, 20), 60, 8_000), (utc(2026, 1, 10, 20), 60, 8_000))

    result = pricing.price_period(
        intervals,
        spans=yearly_versions(first, second, start, end),
        period_start_utc=start,
        period_end_utc=end,
    )

    assert summary(result) == [
        ("v1 Flat", Decimal("8.000"), Decimal("0.80")),
        ("v2 Flat", Decimal("8.000"), Decimal("0.80")),
        ("Participation", Decimal("31"), Decimal("15.50")),
        ("Maximum total cap", Decimal("1"), Decimal("-7.10")),
    ]
    assert result.total == Decimal("10.00")


def test_tiers_restart_with_a_new_version():
    # Monthly 10 kWh tier 1 in both versions; 8 kWh on Dec 31 and 8 kWh on Jan 1 stay in
    # tier 1 in each version: 8.000 kWh x 0.10 = $0.80 twice, no tier 2.
    start, end = local(2025, 12, 1), local(2026, 2, 1)
    intervals = readings((utc(2025, 12, 31, 20), 60, 8_000), (utc(2026, 1, 1, 20), 60, 8_000))

    result = pricing.price_period(
        intervals,
        spans=yearly_versions(tiered("monthly", "10"), tiered("monthly", "10"), start, end),
        period_start_utc=start,
        period_end_utc=end,
    )

    assert summary(result) == [
        ("v1 Flat tier 1", Decimal("8.000"), Decimal("0.80")),
        ("v2 Flat tier 1", Decimal("8.000"), Decimal("0.80")),
    ]


def test_spans_must_cover_the_period_in_one_zone():
    start, end = local(2025, 12, 1), local(2026, 2, 1)
    gap = [
        pricing.TariffSpan(flat("0.10"), start, local(2025, 12, 31)),
        pricing.TariffSpan(flat("0.10"), local(2026, 1, 1), end),
    ]
    new_york = TouTariff(
        time_zone="America/New_York",
        periods=(TouPeriod("Flat", Decimal("0.10")),),
        weekday_schedule=ALL_DAY,
        weekend_schedule=ALL_DAY,
    )
    zones = yearly_versions(flat("0.10"), new_york, start, end)
    short = [pricing.TariffSpan(flat("0.10"), start, local(2026, 1, 1))]
    empty = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    for spans, message in (
        (gap, r"spans\[1\]: starts at"),
        (zones, "different zones"),
        (short, "spans: end at"),
        ([], "at least one"),
    ):
        with pytest.raises(RatingInputError, match=message):
            pricing.price_period(empty, spans=spans, period_start_utc=start, period_end_utc=end)


def test_a_reading_wholly_outside_the_period_is_refused_not_dropped():
    start, end = local(2025, 12, 1), local(2026, 1, 1)
    intervals = readings((utc(2025, 12, 10), 60, 1), (utc(2026, 1, 1, 8), 60, 1))

    with pytest.raises(RatingInputError, match=r"intervals\[1\]: .* does not overlap"):
        pricing.price_period(
            intervals,
            spans=[pricing.TariffSpan(flat("0.10"), start, end)],
            period_start_utc=start,
            period_end_utc=end,
        )


def two_tiered_periods():
    """Off-peak before 16:00 and Peak from 16:00 all year, each $0.10 to 1 kWh a month, $0.05 on."""
    tiers = (Tier(Decimal("1"), Decimal("0.10")), Tier(None, Decimal("0.05")))
    hours = tuple(tuple(0 if hour < 16 else 1 for hour in range(24)) for _ in range(12))
    return TouTariff(
        time_zone=LOS_ANGELES,
        periods=(
            TouPeriod("Off-peak", Decimal("0.10"), tiers=tiers),
            TouPeriod("Peak", Decimal("0.10"), tiers=tiers),
        ),
        weekday_schedule=hours,
        weekend_schedule=hours,
    )


def test_each_tiered_period_and_month_fills_its_own_ceiling_over_several_readings():
    # Off-peak: Jan 500 Wh (tier 1). Peak: Jan 800 + 800 Wh = 1,600 -> 1,000 tier 1, 600
    # tier 2; Feb 800 + 800 Wh -> 1,000 tier 1, 600 tier 2 again (a new month).
    # Off-peak tier 1 0.500 x 0.10 = $0.05; Peak tier 1 2.000 x 0.10 = $0.20; Peak tier 2
    # 1.200 x 0.05 = $0.06.
    intervals = readings(
        (utc(2026, 1, 5, 18), 60, 500),  # 10:00 PST
        (utc(2026, 1, 6, 1), 60, 800),  # Jan 5 17:00 PST
        (utc(2026, 1, 7, 1), 60, 800),
        (utc(2026, 2, 3, 1), 60, 800),  # Feb 2 17:00 PST
        (utc(2026, 2, 4, 1), 60, 800),
    )

    result = tou.price_tou(
        intervals,
        two_tiered_periods(),
        period_start_utc=local(2026, 1, 1),
        period_end_utc=local(2026, 3, 1),
    )

    assert summary(result) == [
        ("Off-peak tier 1", Decimal("0.500"), Decimal("0.05")),
        ("Peak tier 1", Decimal("2.000"), Decimal("0.20")),
        ("Peak tier 2", Decimal("1.200"), Decimal("0.06")),
    ]


def test_each_span_refusal_names_what_is_wrong_in_full():
    # Epoch seconds of the instants named: Dec 1 00:00 PST = 08:00 UTC; the gap runs from
    # Dec 31 00:00 PST to Jan 1 00:00 PST; the short spans end at Jan 1 00:00 PST while the
    # period ends at Feb 1 00:00 PST.
    start, end = local(2025, 12, 1), local(2026, 2, 1)
    dec_31, jan_1 = local(2025, 12, 31), local(2026, 1, 1)
    new_york = TouTariff(
        time_zone="America/New_York",
        periods=(TouPeriod("Flat", Decimal("0.10")),),
        weekday_schedule=ALL_DAY,
        weekend_schedule=ALL_DAY,
    )
    empty = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])
    cases = [
        ([], "spans: at least one tariff version is required"),
        (
            yearly_versions(flat("0.10"), new_york, start, end),
            "spans: versions in different zones (America/Los_Angeles, America/New_York)",
        ),
        (
            [
                pricing.TariffSpan(flat("0.10"), start, dec_31),
                pricing.TariffSpan(flat("0.10"), jan_1, end),
            ],
            (
                f"spans[1]: starts at {int(jan_1.timestamp())}, expected "
                f"{int(dec_31.timestamp())} (versions must cover the billing period without gap "
                "or overlap)"
            ),
        ),
        (
            [pricing.TariffSpan(flat("0.10"), start, jan_1)],
            (
                f"spans: end at {int(jan_1.timestamp())}, expected the billing period's end "
                f"{int(end.timestamp())}"
            ),
        ),
    ]

    for spans, message in cases:
        with pytest.raises(RatingInputError) as refusal:
            pricing.price_period(empty, spans=spans, period_start_utc=start, period_end_utc=end)
        assert str(refusal.value) == message


def test_the_minimum_of_the_version_in_force_at_the_start_tops_up_the_period_once():
    # v1 has a $1.00 minimum, v2 a $5.00 one. 2 kWh on Dec 20 at $0.10 = $0.20 and 3 kWh on
    # Jan 10 at $0.20 = $0.60: $0.80 in all, topped up once by v1's bound to $1.00 (+$0.20).
    first = flat("0.10", minimum_total=Decimal("1.00"))
    second = flat("0.20", minimum_total=Decimal("5.00"))
    start, end = local(2025, 12, 15), local(2026, 1, 15)
    intervals = readings((utc(2025, 12, 20, 20), 60, 2_000), (utc(2026, 1, 10, 20), 60, 3_000))

    result = pricing.price_period(
        intervals,
        spans=yearly_versions(first, second, start, end),
        period_start_utc=start,
        period_end_utc=end,
    )

    assert summary(result) == [
        ("v1 Flat", Decimal("2.000"), Decimal("0.20")),
        ("v2 Flat", Decimal("3.000"), Decimal("0.60")),
        ("Minimum total top-up", Decimal("1"), Decimal("0.20")),
    ]
    assert result.total == Decimal("1.00")


def test_an_absolute_hour_version_after_a_tou_version_keeps_each_hours_own_price():
    # v1 (flat $0.10) to Jan 1 2026 PST, v2 an absolute-hour vector after it. Dec 20 12:00
    # PST, 2 kWh: v1 2.000 x 0.10 = $0.20. Mon Jan 5 and Tue Jan 6 10:00 PST (18:00 UTC),
    # 1,000 and 2,000 kWh, share v2's key (Jan, weekday, 10:00) at each UTC hour's own price:
    # generation 1,000 x 0.10 + 2,000 x 0.20 = $500.00 over 3,000 kWh, shown at 500 / 3,000
    # = 0.16667 $/kWh (five places; 3,000 x 0.16667 would be $500.01); delivery 1,000 x 0.01
    # + 2,000 x 0.02 = $50.00, shown at 0.01667. Total $550.20.
    monday, tuesday = utc(2026, 1, 5, 18), utc(2026, 1, 6, 18)
    second = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_utc_hour={
            epoch(monday): VectorPrice(Decimal("0.10"), Decimal("0.01")),
            epoch(tuesday): VectorPrice(Decimal("0.20"), Decimal("0.02")),
        },
    )
    start, end = local(2025, 12, 1), local(2026, 2, 1)
    intervals = readings(
        (utc(2025, 12, 20, 20), 60, 2_000), (monday, 60, 1_000_000), (tuesday, 60, 2_000_000)
    )

    result = pricing.price_period(
        intervals,
        spans=yearly_versions(flat("0.10"), second, start, end),
        period_start_utc=start,
        period_end_utc=end,
    )

    assert [(line.label, line.kwh, line.price, line.amount) for line in result.lines] == [
        ("v1 Flat", Decimal("2.000"), Decimal("0.10"), Decimal("0.20")),
        (
            "v2 Jan weekday 10:00-11:00 generation",
            Decimal("3000.000"),
            Decimal("0.16667"),
            Decimal("500.00"),
        ),
        (
            "v2 Jan weekday 10:00-11:00 delivery",
            Decimal("3000.000"),
            Decimal("0.01667"),
            Decimal("50.00"),
        ),
    ]
    assert result.total == Decimal("550.20")
    assert result.lines_of_interval(2) == ((1, 2_000_000), (2, 2_000_000))


def test_one_second_in_the_old_version_is_priced_by_it():
    # 3,600 Wh over one hour from Dec 31 23:59:59 PST: 1 s (1 Wh exactly) in v1, 3,599 s
    # (3,599 Wh) in v2. v1: 0.001 x $0.10 = $0.0001 -> $0.00; v2: 3.599 x $0.20 = $0.7198
    # -> $0.72.
    start, end = local(2025, 12, 1), local(2026, 2, 1)
    first_second = int(local(2025, 12, 31, 23, 59).timestamp()) + 59
    intervals = IntervalArrays.from_sequences(
        start_utc=[first_second], duration_s=[3600], wh=[3600]
    )

    result = pricing.price_period(
        intervals,
        spans=yearly_versions(flat("0.10"), flat("0.20"), start, end),
        period_start_utc=start,
        period_end_utc=end,
    )

    assert summary(result) == [
        ("v1 Flat", Decimal("0.001"), Decimal("0.00")),
        ("v2 Flat", Decimal("3.599"), Decimal("0.72")),
    ]
    assert result.lines_of_interval(0) == ((0, 1), (1, 3599))
