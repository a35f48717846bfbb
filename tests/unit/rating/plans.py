"""Small tariffs and helpers the rating tests share, written from the rule text."""

import os
from datetime import UTC, date, datetime
from decimal import Decimal

from settlement.rating.intervals import IntervalArrays
from settlement.rating.tariff import Schedule, TouPeriod, TouTariff

LOS_ANGELES = "America/Los_Angeles"
OFF_PEAK, MID_PEAK, PEAK, WINTER_PEAK = 0, 1, 2, 3
SUMMER_MONTHS = (6, 7, 8, 9)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def epoch(moment: datetime) -> int:
    """Return epoch seconds of an aware datetime."""
    return int(moment.timestamp())


def readings(*rows: tuple[datetime, int, int]) -> IntervalArrays:
    """Return intervals from (UTC start, minutes, Wh) rows."""
    return IntervalArrays.from_sequences(
        start_utc=[epoch(start) for start, _, _ in rows],
        duration_s=[minutes * 60 for _, minutes, _ in rows],
        wh=[wh for _, _, wh in rows],
    )


def _weekday_row(month: int) -> tuple[int, ...]:
    peak = PEAK if month in SUMMER_MONTHS else WINTER_PEAK
    return tuple(
        MID_PEAK if hour == 15 else peak if 16 <= hour <= 20 else OFF_PEAK for hour in range(24)
    )


def _weekend_row() -> tuple[int, ...]:
    return tuple(MID_PEAK if 16 <= hour <= 20 else OFF_PEAK for hour in range(24))


WEEKDAY_SCHEDULE: Schedule = tuple(_weekday_row(month) for month in range(1, 13))
WEEKEND_SCHEDULE: Schedule = tuple(_weekend_row() for _ in range(12))


def summer_winter_plan(holidays: frozenset[date] = frozenset()) -> TouTariff:
    """Return the test TOU plan.

    Weekdays: 15:00-16:00 Mid-peak $0.12; 16:00-21:00 Peak $0.30 in June-September, Winter
    peak $0.20 otherwise; other hours Off-peak $0.05. Weekends and holidays: 16:00-21:00
    Mid-peak, otherwise Off-peak.
    """
    return TouTariff(
        time_zone=LOS_ANGELES,
        periods=(
            TouPeriod("Off-peak", Decimal("0.05")),
            TouPeriod("Mid-peak", Decimal("0.12")),
            TouPeriod("Peak", Decimal("0.30")),
            TouPeriod("Winter peak", Decimal("0.20")),
        ),
        weekday_schedule=WEEKDAY_SCHEDULE,
        weekend_schedule=WEEKEND_SCHEDULE,
        holidays=holidays,
    )


def month_of_july_2025() -> tuple[datetime, datetime]:
    """Return [2025-07-01 00:00 PDT, 2025-08-01 00:00 PDT) in UTC."""
    return utc(2025, 7, 1, 7), utc(2025, 8, 1, 7)


def examples(count: int) -> int:
    """Return Hypothesis' example count: `count`, or fewer under `make mutation`.

    Mutation testing runs the tests once per mutant; the golden cases kill the mutants, the
    properties need only a few examples each there to stay within minutes.
    """
    return int(os.environ.get("RATING_MAX_EXAMPLES", count))
