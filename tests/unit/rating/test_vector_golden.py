"""Golden cases for hourly price vectors; expected values worked out by hand."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from settlement.rating import holiday_calendars, vector
from settlement.rating.errors import RatingInputError
from settlement.rating.tariff import DayType, FixedItem, HourlyVectorTariff, VectorPrice
from tests.unit.rating.plans import LOS_ANGELES, epoch, month_of_july_2025, readings, utc

BASE = VectorPrice(generation=Decimal("0.01000"), delivery=Decimal("0.00100"))
JULY_WEEKDAY_16 = VectorPrice(generation=Decimal("0.10000"), delivery=Decimal("0.02000"))


def month_table_tariff(holidays=frozenset()):
    table = {
        (month, day_type, hour): BASE
        for month in range(1, 13)
        for day_type in DayType
        for hour in range(24)
    }
    table[(7, DayType.WEEKDAY, 16)] = JULY_WEEKDAY_16
    return HourlyVectorTariff(
        time_zone=LOS_ANGELES, by_month_day_type_hour=table, holidays=holidays
    )


def summary(result):
    return [(line.label, line.kwh, line.price, line.amount) for line in result.lines]


def test_a_july_weekday_16_00_reading_gets_generation_and_delivery_lines():
    # 2025-07-15 23:00 UTC = 16:00 PDT, Tuesday: 5 kWh x $0.10 = $0.50 generation,
    # 5 kWh x $0.02 = $0.10 delivery; total $0.60.
    start, end = month_of_july_2025()

    result = vector.price_vector(
        readings((utc(2025, 7, 15, 23), 60, 5000)),
        month_table_tariff(),
        period_start_utc=start,
        period_end_utc=end,
    )

    assert summary(result) == [
        (
            "Jul weekday 16:00-17:00 generation",
            Decimal("5.000"),
            Decimal("0.10000"),
            Decimal("0.50"),
        ),
        ("Jul weekday 16:00-17:00 delivery", Decimal("5.000"), Decimal("0.02000"), Decimal("0.10")),
    ]
    assert result.total == Decimal("0.60")
    assert result.lines_of_interval(0) == ((0, 5000), (1, 5000))


def test_a_holiday_reads_the_weekend_row():
    # 2025-07-04 16:00 PDT with the SCE calendar: weekend/holiday row, 5 kWh x $0.01 = $0.05
    # generation, 5 kWh x $0.001 = $0.005 -> $0.01 delivery.
    start, end = month_of_july_2025()
    tariff = month_table_tariff(holiday_calendars.holiday_dates("SCE", [2025]))

    result = vector.price_vector(
        readings((utc(2025, 7, 4, 23), 60, 5000)),
        tariff,
        period_start_utc=start,
        period_end_utc=end,
    )

    assert [(line.label, line.amount) for line in result.lines] == [
        ("Jul weekend/holiday 16:00-17:00 generation", Decimal("0.05")),
        ("Jul weekend/holiday 16:00-17:00 delivery", Decimal("0.01")),
    ]


def test_an_absolute_hour_table_prices_both_1_am_hours_of_fall_back_apart_in_one_line():
    # 08:00 UTC = 01:00 PDT at $0.20 + $0.01; 09:00 UTC = 01:00 PST at $0.30 + $0.02.
    # Both are "Nov weekend/holiday 01:00-02:00" (a Sunday), so one line per component, each
    # hour at its own price, rounded once: generation 2 x 0.20 + 2 x 0.30 = $1.00 over
    # 4 kWh (shown at the average $0.25), delivery 2 x 0.01 + 2 x 0.02 = $0.06 ($0.015).
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_utc_hour={
            epoch(utc(2025, 11, 2, 8)): VectorPrice(Decimal("0.20"), Decimal("0.01")),
            epoch(utc(2025, 11, 2, 9)): VectorPrice(Decimal("0.30"), Decimal("0.02")),
        },
    )

    result = vector.price_vector(
        readings((utc(2025, 11, 2, 8), 60, 2000), (utc(2025, 11, 2, 9), 60, 2000)),
        tariff,
        period_start_utc=utc(2025, 11, 2, 7),
        period_end_utc=utc(2025, 11, 3, 8),
    )

    assert summary(result) == [
        (
            "Nov weekend/holiday 01:00-02:00 generation",
            Decimal("4.000"),
            Decimal("0.25000"),
            Decimal("1.00"),
        ),
        (
            "Nov weekend/holiday 01:00-02:00 delivery",
            Decimal("4.000"),
            Decimal("0.01500"),
            Decimal("0.06"),
        ),
    ]
    assert result.total == Decimal("1.06")


def test_an_absolute_hour_month_is_rounded_once_per_month_day_type_and_hour():
    # July 2025 in Los Angeles, every UTC hour at generation $0.123 and delivery $0.001,
    # except 19:00 PDT (02:00 UTC the next day) on weekdays: $0.61 + $0.002. One reading of
    # 0.135 kWh at the start of every local hour. July 2025 has 23 weekdays and 8 weekend
    # days (July 4 is a weekday here: the tariff names no holidays).
    # Weekday 19:00: 23 x 0.135 = 3.105 kWh x 0.61 = 1.89405 -> $1.89 (hour by hour it
    #   would be 23 x round(0.08235) = 23 x 0.08 = $1.84); delivery 3.105 x 0.002 = $0.01.
    # Weekend 19:00: 8 x 0.135 = 1.080 kWh x 0.123 = 0.13284 -> $0.13.
    # Every other weekday hour: 3.105 x 0.123 = 0.381915 -> $0.38; weekend 0.13284 -> $0.13.
    # Delivery elsewhere: weekday 3.105 x 0.001 -> $0.00 (0.003105), weekend $0.00.
    july = range(epoch(utc(2025, 7, 1, 7)), epoch(utc(2025, 8, 1, 7)), 3600)
    prices = {}
    for hour_start in july:
        local = datetime.fromtimestamp(hour_start, tz=UTC).astimezone(ZoneInfo(LOS_ANGELES))
        peak = local.hour == 19 and local.weekday() < 5
        prices[hour_start] = (
            VectorPrice(Decimal("0.61"), Decimal("0.002"))
            if peak
            else VectorPrice(Decimal("0.123"), Decimal("0.001"))
        )
    tariff = HourlyVectorTariff(time_zone=LOS_ANGELES, by_utc_hour=prices)
    start, end = month_of_july_2025()

    result = vector.price_vector(
        readings(*[(datetime.fromtimestamp(h, tz=UTC), 60, 135) for h in july]),
        tariff,
        period_start_utc=start,
        period_end_utc=end,
    )

    assert len(result.lines) == 2 * 24 * 2
    by_label = {line.label: (line.kwh, line.price, line.amount) for line in result.lines}
    assert by_label["Jul weekday 19:00-20:00 generation"] == (
        Decimal("3.105"),
        Decimal("0.61"),
        Decimal("1.89"),
    )
    assert by_label["Jul weekday 19:00-20:00 delivery"][2] == Decimal("0.01")
    assert by_label["Jul weekend/holiday 19:00-20:00 generation"] == (
        Decimal("1.080"),
        Decimal("0.123"),
        Decimal("0.13"),
    )
    assert by_label["Jul weekday 03:00-04:00 generation"][2] == Decimal("0.38")
    # 23 other weekday hours x $0.38 + $1.89 + 24 weekend hours x $0.13 + $0.01 delivery:
    # 8.74 + 1.89 + 3.12 + 0.01.
    assert result.total == Decimal("13.76")


def test_an_hour_without_a_price_is_an_error_not_zero():
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_utc_hour={epoch(utc(2025, 11, 2, 8)): VectorPrice(Decimal("0.20"), Decimal("0.01"))},
    )

    with pytest.raises(RatingInputError, match="2025-11-02T10:00:00"):
        vector.price_vector(
            readings((utc(2025, 11, 2, 10), 15, 100)),
            tariff,
            period_start_utc=utc(2025, 11, 2, 7),
            period_end_utc=utc(2025, 11, 3, 8),
        )


def test_a_float_price_is_refused():
    with pytest.raises(RatingInputError, match="must be a finite Decimal"):
        HourlyVectorTariff(
            time_zone=LOS_ANGELES,
            by_utc_hour={0: VectorPrice(0.2, Decimal("0.01"))},  # type: ignore[arg-type]
        )


def test_a_vector_tariffs_daily_item_counts_the_days_of_its_billing_period():
    # July 2025 in Los Angeles has 31 local days: a $0.10 daily credit is 31 x 0.10 = $3.10.
    tariff = replace(
        month_table_tariff(), fixed_items=(FixedItem("Daily credit", Decimal("0.10"), "day"),)
    )
    start, end = month_of_july_2025()
    empty = readings()

    result = vector.price_vector(empty, tariff, period_start_utc=start, period_end_utc=end)

    assert [(line.label, line.quantity, line.amount) for line in result.lines] == [
        ("Daily credit", Decimal(31), Decimal("3.10"))
    ]
