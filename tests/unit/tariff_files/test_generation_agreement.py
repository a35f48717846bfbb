"""PG&E (hour-starting labels on UTC rows) and SCE (hour-ending) agree on generation."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from settlement.rating import vector
from settlement.rating.intervals import IntervalArrays
from settlement.rating.tariff import DayType
from settlement.tariffs.importers.pge_export_rates import parse_pge_export_rates
from settlement.tariffs.importers.sce_export_credits import parse_sce_export_credits
from tests.unit.tariff_files.paths import PGE_NBT24_2025, SCE_2024_VINTAGE

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def pge():
    return parse_pge_export_rates(PGE_NBT24_2025.read_bytes())


@pytest.fixture(scope="module")
def sce_2025():
    return parse_sce_export_credits(SCE_2024_VINTAGE.read_bytes(), year=2025)


def test_both_price_monday_16_00_pdt_in_september_the_same_generation(pge, sce_2025):
    # Mon 2025-09-15 16:00 PDT = 23:00 UTC. PG&E row "Sep Weekday HS16" = 0.05548;
    # SCE 2025, month 9, Hour 17 (hour-ending, so 16:00-17:00) weekday gen = 0.05548.
    # 10 kWh x 0.05548 = $0.5548 -> $0.55 generation in both.
    start = datetime(2025, 9, 15, 23, tzinfo=UTC)
    reading = IntervalArrays.from_sequences(
        start_utc=[int(start.timestamp())], duration_s=[3600], wh=[10_000]
    )
    period = {
        "period_start_utc": datetime(2025, 9, 1, 7, tzinfo=UTC),
        "period_end_utc": datetime(2025, 10, 1, 7, tzinfo=UTC),
    }

    pge_lines = vector.price_vector(reading, pge.tariff, **period).lines
    sce_lines = vector.price_vector(reading, sce_2025.tariff, **period).lines

    assert (pge_lines[0].component, pge_lines[0].price, pge_lines[0].amount) == (
        "generation",
        Decimal("0.05548"),
        Decimal("0.55"),
    )
    assert (sce_lines[0].label, sce_lines[0].price, sce_lines[0].amount) == (
        "Sep weekday 16:00-17:00 generation",
        Decimal("0.05548"),
        Decimal("0.55"),
    )
    # Reading SCE's "Hour 16" as hour-starting would give 0.05168 instead.
    assert sce_2025.tariff.by_month_day_type_hour[(9, DayType.WEEKDAY, 15)].generation == Decimal(
        "0.05168"
    )


def pge_by_local_key(pge):
    # The first UTC hour seen for each local (month, day type, hour) of 2025; every day of a
    # month shares the value, except the repeated fall-back hour (priced as HS2 by PG&E).
    keys = {}
    for hour_start, price in sorted(pge.tariff.by_utc_hour.items()):
        local = datetime.fromtimestamp(hour_start, tz=UTC).astimezone(LOS_ANGELES)
        if local.year != 2025:
            continue
        off_day = local.weekday() >= 5 or local.date() in pge.tariff.holidays
        day_type = DayType.WEEKEND_HOLIDAY if off_day else DayType.WEEKDAY
        keys.setdefault((local.month, day_type, local.hour), price.generation)
    return keys


def test_the_hour_ending_mapping_is_the_one_that_agrees(pge, sce_2025):
    # Measured on these files: generation is identical on 413 of the 576 (month, day type,
    # hour) keys of 2025 when SCE Hour N is read as local [N-1, N); the rest differ by up
    # to $0.065/kWh (largest on September weekday evenings). Shifting the mapping one hour
    # either way leaves just 1 identical key, so the identical keys pin the hour convention.
    pge_keys = pge_by_local_key(pge)
    sce_table = sce_2025.tariff.by_month_day_type_hour

    def identical(shift):
        return sum(
            1
            for (month, day_type, hour), generation in pge_keys.items()
            if 0 <= hour + shift < 24
            and sce_table[(month, day_type, hour + shift)].generation == generation
        )

    assert len(pge_keys) == 576
    assert identical(0) == 413
    assert identical(-1) == 1
    assert identical(+1) == 1
