import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from settlement.rating import holiday_calendars, tou
from settlement.rating.intervals import IntervalArrays
from settlement.tariffs.importers import urdb
from settlement.tariffs.importers.errors import TariffFileError
from tests.unit.tariff_files.paths import URDB_RESIDENTIAL

LABELS = ("Summer off-peak", "Summer peak", "Winter off-peak", "Winter peak")


def residential_document():
    return json.loads(URDB_RESIDENTIAL.read_text())


def as_bytes(document):
    return json.dumps(document).encode()


def test_the_residential_rate_is_read_with_exact_decimal_prices():
    imported = urdb.parse_urdb(URDB_RESIDENTIAL.read_bytes())

    rate = imported.rate
    assert rate.utility == "Pacific Gas & Electric Co"
    assert rate.label == "67a1c0e5b7a0b1c2d3e4f501"
    assert (rate.start_utc, rate.end_utc) == (1735718400, 1767254400)
    assert rate.dg_rules == "Net Billing Instantaneous"
    assert len(rate.periods) == 4
    peak = rate.periods[1][0]
    # From the text, not from a binary float: 0.47231 + 0.01432 = 0.48663 exactly.
    assert peak.sell == Decimal("0.09217")
    assert peak.price == Decimal("0.48663")
    assert (rate.fixed_charge, rate.fixed_charge_units) == (Decimal("0.39444"), "$/day")
    assert (rate.min_charge, rate.min_charge_units) == (Decimal("0.39444"), "$/day")
    assert rate.weekday_schedule[6][17] == 1
    assert imported.warnings == ()


def test_schedule_indices_are_zero_based():
    # 2025-07-16 00:00 UTC = Tue 2025-07-15 17:00 PDT: weekday schedule [6][17] = 1, the
    # SECOND period (Summer peak, sell $0.09217). 10 kWh x 0.09217 = $0.9217 -> $0.92.
    # Read 1-based, index 1 would be the first period (sell $0.04123): $0.41, which is wrong.
    rate = urdb.parse_urdb(URDB_RESIDENTIAL.read_bytes()).rate
    tariff = urdb.to_tou_tariff(
        rate,
        time_zone="America/Los_Angeles",
        holidays=holiday_calendars.holiday_dates("PGE", [2025]),
        period_labels=LABELS,
    )
    july_16_00_utc = 1752624000
    intervals = IntervalArrays.from_sequences(
        start_utc=[july_16_00_utc], duration_s=[3600], wh=[10_000]
    )

    result = tou.price_tou(
        intervals,
        tariff,
        period_start_utc=_utc(1751353200),
        period_end_utc=_utc(1754031600),
    )

    assert [(line.label, line.price, line.amount) for line in result.lines] == [
        ("Summer peak", Decimal("0.09217"), Decimal("0.92"))
    ]
    assert result.total != Decimal("0.41")


def _utc(epoch_seconds):
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def test_the_fixed_charge_becomes_a_negative_daily_line_when_asked():
    # July 2025: 31 local days x -$0.39444 = -$12.22764 -> -$12.23.
    rate = urdb.parse_urdb(URDB_RESIDENTIAL.read_bytes()).rate
    tariff = urdb.to_tou_tariff(
        rate, time_zone="America/Los_Angeles", holidays=frozenset(), include_fixed_charge=True
    )
    nothing = IntervalArrays.from_sequences(start_utc=[], duration_s=[], wh=[])

    result = tou.price_tou(
        nothing, tariff, period_start_utc=_utc(1751353200), period_end_utc=_utc(1754031600)
    )

    assert [(line.label, line.quantity, line.amount) for line in result.lines] == [
        ("Fixed charge", Decimal(31), Decimal("-12.23"))
    ]


def test_a_single_rate_without_the_items_wrapper_is_read_too():
    document = residential_document()["items"][0]

    assert urdb.parse_urdb(as_bytes(document)).rate.name.startswith("E-TOU-D")


def test_unknown_and_demand_fields_are_warned_about():
    document = residential_document()
    document["items"][0]["flatdemandstructure"] = [[{"rate": 10}]]
    document["items"][0]["favouritecolour"] = "green"

    imported = urdb.parse_urdb(as_bytes(document))

    assert imported.warnings == (
        "favouritecolour: unknown field ignored",
        "flatdemandstructure: demand charges are not applied to export rating",
    )


def test_net_metering_without_sell_credits_the_retail_price():
    document = residential_document()
    rate_json = document["items"][0]
    rate_json["dgrules"] = "Net Metering"
    for period in rate_json["energyratestructure"]:
        del period[0]["sell"]
    rate = urdb.parse_urdb(as_bytes(document)).rate

    tariff = urdb.to_tou_tariff(rate, time_zone="America/Los_Angeles", holidays=frozenset())

    # 0.36231 + 0.01432 = 0.37663.
    assert tariff.periods[0].export_price == Decimal("0.37663")


def test_net_billing_without_sell_is_refused():
    document = residential_document()
    del document["items"][0]["energyratestructure"][2][0]["sell"]
    rate = urdb.parse_urdb(as_bytes(document)).rate

    with pytest.raises(TariffFileError, match=r"energyratestructure\[2\]\[0\]\.sell: missing"):
        urdb.to_tou_tariff(rate, time_zone="America/Los_Angeles", holidays=frozenset())


def test_tiers_become_tariff_tiers_with_their_basis():
    document = residential_document()
    document["items"][0]["energyratestructure"][0] = [
        {"rate": 0.30, "max": 10, "unit": "kWh daily", "sell": 0.05},
        {"rate": 0.40, "unit": "kWh daily", "sell": 0.04},
    ]
    rate = urdb.parse_urdb(as_bytes(document)).rate

    tariff = urdb.to_tou_tariff(rate, time_zone="America/Los_Angeles", holidays=frozenset())

    assert tariff.tier_basis == "daily"
    assert [(tier.max_kwh, tier.price) for tier in tariff.periods[0].tiers] == [
        (Decimal(10), Decimal("0.05")),
        (None, Decimal("0.04")),
    ]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rate: rate.pop("energyweekdayschedule"), "energyweekdayschedule: missing"),
        (
            lambda rate: rate["energyweekendschedule"].pop(),
            "energyweekendschedule: must be 12 months of 24 hours, got a list of 11",
        ),
        (
            lambda rate: rate["energyweekdayschedule"][3].pop(),
            r"energyweekdayschedule\[3\]: must be 24 hours, got a list of 23",
        ),
        (
            lambda rate: rate["energyweekdayschedule"][3].__setitem__(7, 5),
            r"energyweekdayschedule\[3\]\[7\]: period index 5 out of range \(4 periods\)",
        ),
        (
            lambda rate: rate["energyweekdayschedule"][3].__setitem__(7, 1.0),
            r"energyweekdayschedule\[3\]\[7\]: must be an integer",
        ),
        (
            lambda rate: rate["energyratestructure"][1][0].__setitem__("rate", "0.4"),
            r"energyratestructure\[1\]\[0\]\.rate: must be a number",
        ),
        (lambda rate: rate.__setitem__("energyratestructure", []), "must be a non-empty list"),
    ],
)
def test_a_malformed_rate_names_the_field_and_the_reason(mutate, message):
    document = residential_document()
    mutate(document["items"][0])

    with pytest.raises(TariffFileError, match=message):
        urdb.parse_urdb(as_bytes(document))


def test_a_one_based_schedule_fails_on_its_highest_index():
    # Shifting every index by one (1..4) points the last period past the 4 defined.
    document = residential_document()
    rate_json = document["items"][0]
    for name in ("energyweekdayschedule", "energyweekendschedule"):
        rate_json[name] = [[index + 1 for index in row] for row in rate_json[name]]

    with pytest.raises(TariffFileError, match=r"period index 4 out of range \(4 periods\)"):
        urdb.parse_urdb(as_bytes(document))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"items": [', "JSON: not valid JSON"),
        (b'{"items": []}', "items: must hold exactly one rate, holds 0"),
        (b'{"items": [{}, {}]}', "items: must hold exactly one rate, holds 2"),
        (b"[1, 2]", "must be one rate object"),
        (b'{"energyratestructure": [[{"rate": NaN}]]}', "NaN is not a number"),
    ],
)
def test_a_file_that_is_not_a_rate_is_refused(data, message):
    with pytest.raises(TariffFileError, match=message):
        urdb.parse_urdb(data)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (Decimal("1e999"), "must be below 10000 (dollars), not 1E+999"),
        (Decimal("9" * 40), f"must be below 10000 (dollars), not {'9' * 40}"),
        (Decimal("0.0921701"), "must have at most 5 decimal places, not 0.0921701"),
    ],
)
def test_an_export_price_out_of_bounds_is_refused_naming_it(value, reason):
    # The ledger carries cents and the statement line's price 5 places; a price of 10^999
    # would crash a run at the first line it priced.
    document = residential_document()
    document["items"][0]["energyratestructure"][1][0]["sell"] = "SELL"
    # A JSON number as a file has it (json.dumps would quote a Decimal).
    text = json.dumps(document).replace('"SELL"', str(value))

    with pytest.raises(TariffFileError) as raised:
        urdb.parse_urdb(text)

    assert str(raised.value) == f"energyratestructure[1][0].sell: {reason}"
