"""Named utility holiday calendars: the local dates that price on the weekend schedule."""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from enum import StrEnum

from settlement.rating.errors import RatingInputError


class HolidayCalendar(StrEnum):
    """A utility holiday calendar, by the code a tariff plan stores (the one spelling)."""

    NONE = "NONE"
    PGE = "PGE"
    SCE = "SCE"


CALENDAR_NAMES = tuple(str(calendar) for calendar in HolidayCalendar)
CALENDAR_LABELS = {
    HolidayCalendar.NONE: "No holidays",
    HolidayCalendar.PGE: "PG&E",
    HolidayCalendar.SCE: "SCE",
}
_SATURDAY = 5
_SUNDAY = 6


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    following_month = date(year + month // 12, month % 12 + 1, 1)
    last = following_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def nominal_holidays(year: int) -> tuple[date, ...]:
    """Return the eight tariff holidays of `year` on their calendar dates, in date order.

    New Year's Day, Presidents' Day (3rd Monday of February), Memorial Day (last Monday of
    May), Independence Day, Labor Day (1st Monday of September), Veterans Day, Thanksgiving
    (4th Thursday of November) and Christmas Day.
    """
    return (
        date(year, 1, 1),
        _nth_weekday(year, 2, 0, 3),
        _last_weekday(year, 5, 0),
        date(year, 7, 4),
        _nth_weekday(year, 9, 0, 1),
        date(year, 11, 11),
        _nth_weekday(year, 11, 3, 4),
        date(year, 12, 25),
    )


def _sunday_to_monday(year: int) -> frozenset[date]:
    # SCE's TOU definition: a holiday on a Sunday is observed the Monday after; one on a
    # Saturday is not moved (the Saturday already prices on the weekend schedule).
    days: set[date] = set()
    for holiday in nominal_holidays(year):
        days.add(holiday)
        if holiday.weekday() == _SUNDAY:
            days.add(holiday + timedelta(days=1))
    return frozenset(days)


def _no_holidays(year: int) -> frozenset[date]:
    del year
    return frozenset()


# PG&E's tariffs say "the dates on which the holidays are legally observed"; the 2025 export
# rate file flags exactly the nominal dates (none fell on a weekend), and California observes
# a Sunday holiday on the Monday without moving a Saturday one, so PG&E uses the SCE rule.
_CALENDARS: dict[HolidayCalendar, Callable[[int], frozenset[date]]] = {
    HolidayCalendar.NONE: _no_holidays,
    HolidayCalendar.SCE: _sunday_to_monday,
    HolidayCalendar.PGE: _sunday_to_monday,
}


def holiday_dates(calendar: str, years: Iterable[int]) -> frozenset[date]:
    """Return the local dates counted as holidays by `calendar` in `years`.

    `calendar` is one of "NONE", "PGE", "SCE"; raises `RatingInputError` for any other name.
    """
    try:
        rule = _CALENDARS[HolidayCalendar(calendar)]
    except ValueError:
        raise RatingInputError(
            f"holiday calendar {calendar!r}: unknown (known: {', '.join(CALENDAR_NAMES)})"
        ) from None
    days: set[date] = set()
    for year in years:
        days |= rule(year)
    return frozenset(days)
