"""A tariff the core cannot price exactly is refused whole, with a message naming the field.

Each message is compared in full: it is what an import reports to the person who wrote the
tariff file, so a changed or missing field name is a defect.
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from settlement.rating.errors import RatingInputError
from settlement.rating.tariff import (
    DayType,
    FixedItem,
    HourlyVectorTariff,
    Tier,
    TouTariff,
    VectorPrice,
)
from tests.unit.rating.plans import LOS_ANGELES, WEEKDAY_SCHEDULE, summer_winter_plan

PRICE = VectorPrice(Decimal("0.10"), Decimal("0.02"))
JULY_WEEKDAY_16 = (7, DayType.WEEKDAY, 16)
OPEN = Tier(None, Decimal("0.05"))


def tou(**changes: object) -> TouTariff:
    return replace(summer_winter_plan(), **changes)


def vector(**changes: object) -> HourlyVectorTariff:
    fields: dict[str, object] = {
        "time_zone": LOS_ANGELES,
        "by_month_day_type_hour": {JULY_WEEKDAY_16: PRICE},
    }
    fields.update(changes)
    return HourlyVectorTariff(**fields)


def tiered(*tiers: Tier, period: int = 0) -> TouTariff:
    periods = list(summer_winter_plan().periods)
    periods[period] = replace(periods[period], tiers=tiers)
    return tou(periods=tuple(periods))


def with_cell(value: object) -> TouTariff:
    # Weekday schedule, January, 05:00 set to `value`.
    rows = [list(row) for row in WEEKDAY_SCHEDULE]
    rows[0][5] = value
    return tou(weekday_schedule=tuple(tuple(row) for row in rows))


def period_with(number: int, **changes: object) -> TouTariff:
    periods = list(summer_winter_plan().periods)
    periods[number] = replace(periods[number], **changes)
    return tou(periods=tuple(periods))


REFUSED = {
    "no periods": (lambda: tou(periods=()), "periods: at least one period is required"),
    "unknown zone": (
        lambda: tou(time_zone="Mars/Olympus_Mons"),
        "time zone 'Mars/Olympus_Mons': not a known IANA zone",
    ),
    "weekly tiers": (
        lambda: tou(tier_basis="weekly"),
        "tier_basis: must be 'monthly' or 'daily'",
    ),
    "fixed item per week": (
        lambda: tou(
            fixed_items=(
                FixedItem("Daily credit", Decimal("0.10"), "day"),
                FixedItem("Weekly credit", Decimal("1.00"), "week"),
            )
        ),
        "fixed_items[1].per: must be 'day' or 'month'",
    ),
    "float fixed amount": (
        lambda: tou(fixed_items=(FixedItem("Daily credit", 0.1, "day"),)),
        "fixed_items[0].amount: must be a finite Decimal, got 0.1",
    ),
    "float minimum": (
        lambda: tou(minimum_total=1.0),
        "minimum_total: must be a finite Decimal, got 1.0",
    ),
    "infinite maximum": (
        lambda: tou(maximum_total=Decimal("Infinity")),
        "maximum_total: must be a finite Decimal, got Decimal('Infinity')",
    ),
    "minimum above maximum": (
        lambda: tou(minimum_total=Decimal("5.00"), maximum_total=Decimal("4.99")),
        "minimum_total: must not exceed maximum_total",
    ),
    "float cell": (
        lambda: with_cell(1.0),
        "weekday_schedule[0][5]: must be an integer",
    ),
    "boolean cell": (
        lambda: with_cell(True),
        "weekday_schedule[0][5]: must be an integer",
    ),
    "float export price": (
        lambda: period_with(1, export_price=0.12),
        "periods[1].export_price: must be a finite Decimal, got 0.12",
    ),
    "float import price": (
        lambda: period_with(2, import_price=0.2),
        "periods[2].import_price: must be a finite Decimal, got 0.2",
    ),
    "float tier price": (
        lambda: tiered(Tier(Decimal("1"), Decimal("0.1")), Tier(None, 0.05), period=3),
        "periods[3].tiers[1].price: must be a finite Decimal, got 0.05",
    ),
    "float tier ceiling": (
        lambda: tiered(Tier(1.5, Decimal("0.1")), OPEN, period=2),
        "periods[2].tiers[0].max_kwh: must be a finite Decimal, got 1.5",
    ),
    "ceiling of half a Wh": (
        lambda: tiered(Tier(Decimal("0.0005"), Decimal("0.1")), OPEN),
        "periods[0].tiers[0].max_kwh: must increase and be a whole number of Wh",
    ),
    "vector with no table": (
        lambda: vector(by_month_day_type_hour={}),
        "exactly one of by_month_day_type_hour and by_utc_hour must be given",
    ),
    "vector with both tables": (
        lambda: vector(by_utc_hour={3600: PRICE}),
        "exactly one of by_month_day_type_hour and by_utc_hour must be given",
    ),
    "month 0": (
        lambda: vector(by_month_day_type_hour={(0, DayType.WEEKDAY, 16): PRICE}),
        "by_month_day_type_hour(0, <DayType.WEEKDAY: 'WEEKDAY'>, 16): not a valid key",
    ),
    "month 13": (
        lambda: vector(by_month_day_type_hour={(13, DayType.WEEKDAY, 16): PRICE}),
        "by_month_day_type_hour(13, <DayType.WEEKDAY: 'WEEKDAY'>, 16): not a valid key",
    ),
    "hour 24": (
        lambda: vector(by_month_day_type_hour={(7, DayType.WEEKDAY, 24): PRICE}),
        "by_month_day_type_hour(7, <DayType.WEEKDAY: 'WEEKDAY'>, 24): not a valid key",
    ),
    "hour -1": (
        lambda: vector(by_month_day_type_hour={(7, DayType.WEEKDAY, -1): PRICE}),
        "by_month_day_type_hour(7, <DayType.WEEKDAY: 'WEEKDAY'>, -1): not a valid key",
    ),
    "day type as a plain string": (
        lambda: vector(by_month_day_type_hour={(7, "WEEKDAY", 16): PRICE}),
        "by_month_day_type_hour(7, 'WEEKDAY', 16): not a valid key",
    ),
    "float generation": (
        lambda: vector(by_month_day_type_hour={JULY_WEEKDAY_16: VectorPrice(0.1, Decimal("0.02"))}),
        (
            "by_month_day_type_hour(7, <DayType.WEEKDAY: 'WEEKDAY'>, 16).generation: "
            "must be a finite Decimal, got 0.1"
        ),
    ),
    "float delivery": (
        lambda: vector(
            by_month_day_type_hour={JULY_WEEKDAY_16: VectorPrice(Decimal("0.10"), 0.02)}
        ),
        (
            "by_month_day_type_hour(7, <DayType.WEEKDAY: 'WEEKDAY'>, 16).delivery: "
            "must be a finite Decimal, got 0.02"
        ),
    ),
    "half-past UTC hour": (
        lambda: vector(by_month_day_type_hour={}, by_utc_hour={1800: PRICE}),
        "by_utc_hour[1800]: not a UTC hour start",
    ),
    "float UTC generation": (
        lambda: vector(
            by_month_day_type_hour={}, by_utc_hour={3600: VectorPrice(0.1, Decimal("0.02"))}
        ),
        "by_utc_hour[3600].generation: must be a finite Decimal, got 0.1",
    ),
    "float UTC delivery": (
        lambda: vector(
            by_month_day_type_hour={}, by_utc_hour={7200: VectorPrice(Decimal("0.10"), 0.02)}
        ),
        "by_utc_hour[7200].delivery: must be a finite Decimal, got 0.02",
    ),
    "vector float minimum": (
        lambda: vector(minimum_total=2.5),
        "minimum_total: must be a finite Decimal, got 2.5",
    ),
    "vector float maximum": (
        lambda: vector(maximum_total=7.5),
        "maximum_total: must be a finite Decimal, got 7.5",
    ),
    "vector fixed item per year": (
        lambda: vector(fixed_items=(FixedItem("Yearly credit", Decimal("12"), "year"),)),
        "fixed_items[0].per: must be 'day' or 'month'",
    ),
}


@pytest.mark.parametrize(("build", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_a_tariff_that_cannot_be_priced_exactly_is_refused_naming_the_field(build, message):
    with pytest.raises(RatingInputError) as refused:
        build()

    assert str(refused.value) == message


def test_a_minimum_equal_to_the_maximum_is_a_fixed_total_and_accepted():
    plan = tou(minimum_total=Decimal("3.00"), maximum_total=Decimal("3.00"))

    assert (plan.minimum_total, plan.maximum_total) == (Decimal("3.00"), Decimal("3.00"))


def test_a_ceiling_of_one_wh_and_one_of_a_wh_and_a_half_kwh_are_whole_wh():
    # 0.001 kWh = 1 Wh and 1.5 kWh = 1,500 Wh: both whole numbers of Wh, increasing.
    tiers = (Tier(Decimal("0.001"), Decimal("0.1")), Tier(Decimal("1.5"), Decimal("0.08")), OPEN)

    assert tiered(*tiers).periods[0].tiers == tiers


def test_an_import_price_given_as_a_decimal_is_kept():
    plan = period_with(2, import_price=Decimal("0.31"))

    assert plan.periods[2].import_price == Decimal("0.31")


def test_a_vector_tariff_keeps_both_bounds_when_they_are_decimals():
    plan = vector(minimum_total=Decimal("1.00"), maximum_total=Decimal("9.00"))

    assert (plan.minimum_total, plan.maximum_total) == (Decimal("1.00"), Decimal("9.00"))
