"""Tariff definitions survive the trip to JSON and back exactly."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from settlement.rating.tariff import (
    DayType,
    FixedItem,
    HourlyVectorTariff,
    Tier,
    TouPeriod,
    TouTariff,
    VectorPrice,
)
from settlement.tariffs import definitions
from settlement.tariffs.importers import urdb

URDB_SAMPLE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "tariffs" / "urdb_residential_tou_sell.json"
)

LOS_ANGELES = "America/Los_Angeles"
WEEKDAYS = tuple(tuple(1 if 16 <= hour <= 20 else 0 for hour in range(24)) for _ in range(12))
WEEKENDS = tuple(tuple(0 for _ in range(24)) for _ in range(12))


def through_text(tariff):
    """Return `tariff` after JSON text, as the database stores it."""
    return definitions.from_json(json.loads(json.dumps(definitions.to_json(tariff))))


def test_a_tiered_tou_tariff_with_every_field_round_trips():
    tariff = TouTariff(
        time_zone=LOS_ANGELES,
        periods=(
            TouPeriod("Off-peak", Decimal("0.050"), import_price=Decimal("0.31")),
            TouPeriod(
                "Peak",
                Decimal("0.30"),
                tiers=(Tier(Decimal("10.5"), Decimal("0.30")), Tier(None, Decimal("0.22000"))),
            ),
        ),
        weekday_schedule=WEEKDAYS,
        weekend_schedule=WEEKENDS,
        holidays=frozenset({date(2025, 7, 4), date(2025, 1, 1)}),
        tier_basis="daily",
        fixed_items=(FixedItem("Meter credit", Decimal("-0.39444"), "day"),),
        minimum_total=Decimal("0"),
        maximum_total=Decimal("1E+3"),
    )

    assert through_text(tariff) == tariff
    # Prices keep the exact text they were given, trailing zeros included.
    assert definitions.to_json(tariff)["periods"][0]["export_price"] == "0.050"


def test_a_month_day_type_hour_vector_round_trips():
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_month_day_type_hour={
            (month, day_type, hour): VectorPrice(
                Decimal(f"0.0{month:02d}{hour:02d}"), Decimal("0.00359")
            )
            for month in range(1, 13)
            for day_type in DayType
            for hour in range(24)
        },
    )

    assert through_text(tariff) == tariff
    assert definitions.entry_count(tariff) == 12 * 2 * 24


def test_a_utc_hour_vector_round_trips():
    # 2025-01-01 08:00Z and the next hour.
    tariff = HourlyVectorTariff(
        time_zone=LOS_ANGELES,
        by_utc_hour={
            1735718400: VectorPrice(Decimal("0.05903"), Decimal("0.00247")),
            1735722000: VectorPrice(Decimal("3.12"), Decimal("0.4")),
        },
        holidays=frozenset({date(2025, 1, 1)}),
    )

    assert through_text(tariff) == tariff
    assert definitions.to_json(tariff)["by_utc_hour"][0] == [1735718400, "0.05903", "0.00247"]


def test_a_float_price_is_refused_with_its_field():
    stored = definitions.to_json(
        TouTariff(LOS_ANGELES, (TouPeriod("Flat", Decimal("0.1")),), WEEKENDS, WEEKENDS)
    )
    stored["periods"][0]["export_price"] = 0.1

    with pytest.raises(definitions.DefinitionInvalid) as raised:
        definitions.from_json(stored)

    assert raised.value.details == {
        "field": "periods[0].export_price",
        "reason": "must be a decimal string, got 0.1",
    }


def test_an_unknown_kind_is_refused():
    with pytest.raises(definitions.DefinitionInvalid) as raised:
        definitions.from_json({"kind": "DEMAND"})

    assert raised.value.details["field"] == "kind"


def test_urdb_periods_are_named_by_season_and_export_price():
    parsed = urdb.parse_urdb(URDB_SAMPLE.read_bytes())

    tariff = urdb.to_tou_tariff(parsed.rate, time_zone="America/Los_Angeles", holidays=frozenset())

    # The schedules use periods 0 and 1 in June-September and 2 and 3 in October-May; within
    # each season the higher sell price (0.09217 > 0.04123, 0.05561 > 0.03874) is the peak.
    assert [period.label for period in tariff.periods] == [
        "Jun-Sep off-peak",
        "Jun-Sep peak",
        "Oct-May off-peak",
        "Oct-May peak",
    ]
