from decimal import Decimal

import pytest

from settlement.rating import holiday_calendars
from settlement.rating.tariff import DayType
from settlement.tariffs.importers.errors import TariffFileError
from settlement.tariffs.importers.sce_export_credits import parse_sce_export_credits
from tests.unit.tariff_files.paths import SCE_2024_VINTAGE


def test_the_vintage_year_is_the_default_and_hour_1_is_midnight_to_1_am():
    # Row "2024,1,1,0.00359,0.00328,0.05322,0.05372": Hour 1 (hour-ending) = local 00:00-01:00.
    parsed = parse_sce_export_credits(SCE_2024_VINTAGE.read_bytes())

    table = parsed.tariff.by_month_day_type_hour
    assert parsed.year == 2024
    assert parsed.years == tuple(range(2024, 2035))
    assert len(table) == 12 * 2 * 24
    assert table[(1, DayType.WEEKDAY, 0)].delivery == Decimal("0.00359")
    assert table[(1, DayType.WEEKEND_HOLIDAY, 0)].delivery == Decimal("0.00328")
    assert table[(1, DayType.WEEKDAY, 0)].generation == Decimal("0.05322")
    assert table[(1, DayType.WEEKEND_HOLIDAY, 0)].generation == Decimal("0.05372")
    # Row "2024,1,24,...": Hour 24 = local 23:00-24:00.
    assert table[(1, DayType.WEEKDAY, 23)].generation == Decimal("0.05408")
    assert parsed.tariff.holidays == holiday_calendars.holiday_dates("SCE", [2024])


def test_a_later_year_can_be_chosen_and_separator_rows_are_reported():
    parsed = parse_sce_export_credits(SCE_2024_VINTAGE.read_bytes(), year=2025)

    # Row "2025,1,1,0.00355,0.00313,0.05153,0.05091".
    assert parsed.tariff.by_month_day_type_hour[(1, DayType.WEEKDAY, 0)].generation == Decimal(
        "0.05153"
    )
    assert parsed.warnings == (
        "10 empty row(s) skipped (lines 290, 579, 868, 1157, 1446, 1735, 2024, 2313, 2602, 2891)",
    )


HEADER = (
    "Price Effective Date,Month,Hour,Delivery - Weekday EEC,Delivery - Weekend/Holiday EEC,"
    "SCE Gen - Weekday EEC,SCE Gen - Weekend/Holiday EEC"
)


def full_year(year=2030):
    return [
        f"{year},{month},{hour},0.001,0.002,0.05,0.04"
        for month in range(1, 13)
        for hour in range(1, 25)
    ]


@pytest.mark.parametrize(
    ("lines", "kwargs", "message"),
    [
        (["Year,Month,Hour", *full_year()], {}, "line 1: header Year, Month, Hour is not"),
        (
            [HEADER, *full_year()[:5], "2030,1,6,0.001,n/a,0.05,0.04", *full_year()[6:]],
            {},
            "line 7: Delivery - Weekend/Holiday EEC 'n/a': not a number",
        ),
        ([HEADER, *full_year()[:-1]], {}, "2030-12 Hour 24: missing"),
        ([HEADER, *full_year(), "2030,3,7,0.001,0.002,0.05,0.04"], {}, "line 290: second row"),
        ([HEADER, *full_year()], {"year": 2031}, "year 2031: not in the file"),
        ([HEADER, "2030,13,1,0.001,0.002,0.05,0.04"], {}, "line 2: Month '13'"),
        ([HEADER, "2030,1,0,0.001,0.002,0.05,0.04"], {}, "line 2: Hour '0'"),
    ],
)
def test_a_broken_table_names_the_line_and_reason(lines, kwargs, message):
    with pytest.raises(TariffFileError, match=message):
        parse_sce_export_credits("\n".join(lines), **kwargs)
