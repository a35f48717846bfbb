from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settlement.rating import holiday_calendars
from settlement.tariffs.importers.errors import TariffFileError
from settlement.tariffs.importers.pge_export_rates import parse_pge_export_rates
from tests.unit.tariff_files.paths import PGE_NBT24_2025


def hour(year, month, day, hour_of_day):
    return int(datetime(year, month, day, hour_of_day, tzinfo=UTC).timestamp())


@pytest.fixture(scope="module")
def nbt24():
    return parse_pge_export_rates(PGE_NBT24_2025.read_bytes())


def test_the_sample_becomes_a_utc_hour_vector_over_its_whole_range(nbt24):
    # 2024-12-31 00:00 UTC to 2026-01-02 00:00 UTC: 367 days x 24 = 8808 hours.
    assert nbt24.rate_name == "NBT24"
    assert nbt24.first_hour_utc == hour(2024, 12, 31, 0)
    assert nbt24.end_hour_utc == hour(2026, 1, 2, 0)
    assert len(nbt24.tariff.by_utc_hour) == 8808


def test_generation_and_delivery_come_from_their_own_rins(nbt24):
    # Line 2: USCA-XXPG 12/31/2024 0:00 UTC "Dec Weekday HS16" 0.05903 (generation);
    # its USCA-PGXX twin is on line 8810.
    first = nbt24.tariff.by_utc_hour[hour(2024, 12, 31, 0)]

    assert first.generation == Decimal("0.05903")
    assert first.delivery == Decimal(PGE_NBT24_2025.read_text().splitlines()[8809].split(",")[9])


def test_holiday_rows_are_the_pge_calendar(nbt24):
    # DayStart 8 marks the eight 2025 holidays (none on a weekend) and 2026-01-01.
    expected = holiday_calendars.holiday_dates("PGE", [2025]) | {date(2026, 1, 1)}

    assert nbt24.tariff.holidays == expected


def test_the_repeated_fall_back_hour_is_reported_with_its_line(nbt24):
    # 2025-11-02 09:00 UTC is the second 01:00 (PST) but the file labels it HS2.
    assert len(nbt24.warnings) == 2
    assert nbt24.warnings[0].startswith("line 7355: 'Nov Weekend HS2' at 2025-11-02 09:00Z")
    assert nbt24.warnings[1].startswith("line 16163: ")


HEADER = "RIN,RateName,DateStart,TimeStart,DateEnd,TimeEnd,DayStart,DayEnd,ValueName,Value,Unit,RateType,Sector"
GENERATION = "USCA-XXPG-NB24-0000,NBT24,7/15/2025,23:00:00,7/15/2025,23:59:59,2,2,Jul Weekday HS16,{},Export $/kWh,TOU,All"
DELIVERY = "USCA-PGXX-NB24-0000,NBT24,7/15/2025,23:00:00,7/15/2025,23:59:59,2,2,Jul Weekday HS16,{},Export $/kWh,TOU,All"


def test_a_minimal_file_parses():
    text = "\r\n".join([HEADER, GENERATION.format("0.07"), DELIVERY.format("0.01")])

    parsed = parse_pge_export_rates(text)

    assert parsed.tariff.by_utc_hour[hour(2025, 7, 15, 23)].generation == Decimal("0.07")
    assert parsed.warnings == ()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["RIN,Date,Value", GENERATION.format("0.07")], "line 1: header RIN, Date, Value is not"),
        (
            [HEADER, GENERATION.format("0.07"), DELIVERY.format("abc")],
            "line 3: Value 'abc': not a number",
        ),
        (
            [HEADER, GENERATION.format("0.07"), DELIVERY.format("0.01").replace("PGXX", "ZZZZ")],
            "line 3: RIN 'USCA-ZZZZ-NB24-0000' is neither generation",
        ),
        (
            [HEADER, GENERATION.format("0.07"), GENERATION.format("0.08"), DELIVERY.format("1")],
            "line 3: second generation price for 2025-07-15 23:00Z",
        ),
        (
            [HEADER, GENERATION.format("0.07")],
            "delivery: no price for the UTC hour 2025-07-15 23:00Z",
        ),
        (
            [HEADER, GENERATION.format("0.07"), DELIVERY.format("0.01").replace(",2,2,", ",9,9,")],
            "line 3: DayStart '9'",
        ),
        ([HEADER, GENERATION.format("0.07")[:40]], "line 2: 4 fields, expected 13"),
    ],
)
def test_a_broken_file_names_the_line_and_reason(lines, message):
    with pytest.raises(TariffFileError, match=message.replace("(", r"\(")):
        parse_pge_export_rates("\n".join(lines))
