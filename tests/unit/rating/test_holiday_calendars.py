from datetime import date

import pytest

from settlement.rating import holiday_calendars
from settlement.rating.errors import RatingInputError


def test_the_eight_holidays_of_2025_on_their_dates():
    # 3rd Monday of Feb 2025 = 17th, last Monday of May = 26th, 1st Monday of Sep = 1st,
    # 4th Thursday of Nov = 27th.
    assert holiday_calendars.holiday_dates("SCE", [2025]) == {
        date(2025, 1, 1),
        date(2025, 2, 17),
        date(2025, 5, 26),
        date(2025, 7, 4),
        date(2025, 9, 1),
        date(2025, 11, 11),
        date(2025, 11, 27),
        date(2025, 12, 25),
    }


def test_sce_observes_a_sunday_holiday_on_the_monday():
    # New Year's Day 2023 was a Sunday; Christmas 2022 was a Sunday.
    days = holiday_calendars.holiday_dates("SCE", [2022, 2023])

    assert date(2023, 1, 2) in days
    assert date(2022, 12, 26) in days


def test_sce_does_not_move_a_saturday_holiday_to_the_friday():
    # Independence Day 2026 is a Saturday; Christmas 2021 was a Saturday.
    days = holiday_calendars.holiday_dates("SCE", [2021, 2026])

    assert date(2026, 7, 4) in days
    assert date(2026, 7, 3) not in days
    assert date(2021, 12, 24) not in days


def test_pge_uses_the_same_dates_and_observance():
    years = range(2020, 2031)

    assert holiday_calendars.holiday_dates("PGE", years) == holiday_calendars.holiday_dates(
        "SCE", years
    )


def test_the_none_calendar_has_no_holidays_and_unknown_names_are_refused():
    assert holiday_calendars.holiday_dates("NONE", [2025]) == frozenset()
    with pytest.raises(RatingInputError, match="'federal'"):
        holiday_calendars.holiday_dates("federal", [2025])


def test_calendar_names_are_the_codes_plans_store_in_one_case():
    # One spelling everywhere: the plan's stored code is the name the core takes.
    assert holiday_calendars.CALENDAR_NAMES == ("NONE", "PGE", "SCE")
    with pytest.raises(RatingInputError, match=r"'sce': unknown \(known: NONE, PGE, SCE\)"):
        holiday_calendars.holiday_dates("sce", [2025])


@pytest.mark.parametrize(
    ("year", "month", "weekday", "expected"),
    [
        # December: the following month is in the next year.
        (2025, 12, 0, date(2025, 12, 29)),
        # Feb 2024 ends on Thursday the 29th: its last Friday is the 23rd.
        (2024, 2, 4, date(2024, 2, 23)),
        # March 1, 2021 is a Monday: February's last Monday is still in February, the 22nd.
        (2021, 2, 0, date(2021, 2, 22)),
    ],
)
def test_the_last_weekday_of_a_month(year, month, weekday, expected):
    assert holiday_calendars._last_weekday(year, month, weekday) == expected
