"""Tariff dataclasses the rating core prices against: TOU plans and hourly price vectors."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from settlement.rating.errors import RatingInputError
from settlement.rating.local_time import SECONDS_PER_HOUR, zone_info

TierBasis = Literal["monthly", "daily"]
FixedPer = Literal["day", "month"]
Schedule = tuple[tuple[int, ...], ...]
MONTHS = 12
HOURS = 24


class DayType(StrEnum):
    """A local day's kind: how it prices, and which baseline pool it joins."""

    WEEKDAY = "WEEKDAY"
    WEEKEND_HOLIDAY = "WEEKEND_HOLIDAY"


def _require_decimal(value: object, where: str) -> None:
    # A float price would carry binary rounding error into money; refuse it at the door.
    if not isinstance(value, Decimal) or not value.is_finite():
        raise RatingInputError(f"{where}: must be a finite Decimal, got {value!r}")


@dataclass(frozen=True)
class Tier:
    """One tier of a period: its price applies up to `max_kwh` (cumulative; None = no ceiling)."""

    max_kwh: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class FixedItem:
    """A fixed amount per local day or per local month: positive pays, negative charges."""

    label: str
    amount: Decimal
    per: FixedPer


@dataclass(frozen=True)
class TouPeriod:
    """A time-of-use period: its label, export price per kWh, optional import price and tiers.

    When `tiers` is not empty their prices replace `export_price` (which then states the
    first tier's price for display).
    """

    label: str
    export_price: Decimal
    import_price: Decimal | None = None
    tiers: tuple[Tier, ...] = ()


def _check_schedule(schedule: Schedule, name: str, period_count: int) -> None:
    if len(schedule) != MONTHS:
        raise RatingInputError(f"{name}: must have 12 months, has {len(schedule)}")
    for month, row in enumerate(schedule):
        if len(row) != HOURS:
            raise RatingInputError(f"{name}[{month}]: must have 24 hours, has {len(row)}")
        for hour, period in enumerate(row):
            if isinstance(period, bool) or not isinstance(period, int):
                raise RatingInputError(f"{name}[{month}][{hour}]: must be an integer")
            if not 0 <= period < period_count:
                raise RatingInputError(
                    f"{name}[{month}][{hour}]: period index {period} out of range "
                    f"({period_count} periods)"
                )


def _check_tiers(tiers: tuple[Tier, ...], where: str) -> None:
    previous = Decimal(0)
    for number, tier in enumerate(tiers):
        _require_decimal(tier.price, f"{where}.tiers[{number}].price")
        last = number == len(tiers) - 1
        if tier.max_kwh is None:
            if not last:
                raise RatingInputError(f"{where}.tiers[{number}]: only the last tier is open")
        else:
            _require_decimal(tier.max_kwh, f"{where}.tiers[{number}].max_kwh")
            if last:
                raise RatingInputError(f"{where}.tiers[{number}]: the last tier must be open")
            if tier.max_kwh <= previous or (tier.max_kwh * 1000) % 1 != 0:
                raise RatingInputError(
                    f"{where}.tiers[{number}].max_kwh: must increase and be a whole number of Wh"
                )
            previous = tier.max_kwh


def _check_common(
    time_zone: str,
    fixed_items: tuple[FixedItem, ...],
    minimum_total: Decimal | None,
    maximum_total: Decimal | None,
) -> None:
    zone_info(time_zone)
    for number, item in enumerate(fixed_items):
        _require_decimal(item.amount, f"fixed_items[{number}].amount")
        if item.per not in ("day", "month"):
            raise RatingInputError(f"fixed_items[{number}].per: must be 'day' or 'month'")
    for name, value in (("minimum_total", minimum_total), ("maximum_total", maximum_total)):
        if value is not None:
            _require_decimal(value, name)
    if minimum_total is not None and maximum_total is not None and minimum_total > maximum_total:
        raise RatingInputError("minimum_total: must not exceed maximum_total")


@dataclass(frozen=True)
class TouTariff:
    """A time-of-use export tariff in URDB shape, evaluated in `time_zone` local time.

    `weekday_schedule` and `weekend_schedule` are 12 x 24 matrices `[month - 1][local hour]`
    of 0-based indices into `periods`. Dates in `holidays` use the weekend schedule. Tier
    ceilings accumulate per period over a local calendar month or day (`tier_basis`).
    `minimum_total` / `maximum_total` bound the result's total with a "bound" line.
    Raises `RatingInputError` when any of that does not hold.
    """

    time_zone: str
    periods: tuple[TouPeriod, ...]
    weekday_schedule: Schedule
    weekend_schedule: Schedule
    holidays: frozenset[date] = frozenset()
    tier_basis: TierBasis = "monthly"
    fixed_items: tuple[FixedItem, ...] = ()
    minimum_total: Decimal | None = None
    maximum_total: Decimal | None = None

    def __post_init__(self) -> None:
        _check_common(self.time_zone, self.fixed_items, self.minimum_total, self.maximum_total)
        if not self.periods:
            raise RatingInputError("periods: at least one period is required")
        for number, period in enumerate(self.periods):
            _require_decimal(period.export_price, f"periods[{number}].export_price")
            if period.import_price is not None:
                _require_decimal(period.import_price, f"periods[{number}].import_price")
            _check_tiers(period.tiers, f"periods[{number}]")
        _check_schedule(self.weekday_schedule, "weekday_schedule", len(self.periods))
        _check_schedule(self.weekend_schedule, "weekend_schedule", len(self.periods))
        if self.tier_basis not in ("monthly", "daily"):
            raise RatingInputError("tier_basis: must be 'monthly' or 'daily'")


@dataclass(frozen=True)
class VectorPrice:
    """The two components of an hourly export price, $/kWh, kept apart down to the lines."""

    generation: Decimal
    delivery: Decimal


MonthDayTypeHour = tuple[int, DayType, int]


@dataclass(frozen=True)
class HourlyVectorTariff:
    """Hourly export prices, either by (month, day type, local hour-starting) or by UTC hour.

    Exactly one table is given. `by_month_day_type_hour` keys are (month 1-12, DayType, local
    hour 0-23) and use `holidays` to tell day types; `by_utc_hour` keys are epoch seconds of
    UTC hour starts. Raises `RatingInputError` when that does not hold.
    """

    time_zone: str
    by_month_day_type_hour: Mapping[MonthDayTypeHour, VectorPrice] = field(default_factory=dict)
    by_utc_hour: Mapping[int, VectorPrice] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    fixed_items: tuple[FixedItem, ...] = ()
    minimum_total: Decimal | None = None
    maximum_total: Decimal | None = None

    def __post_init__(self) -> None:
        _check_common(self.time_zone, self.fixed_items, self.minimum_total, self.maximum_total)
        if bool(self.by_month_day_type_hour) == bool(self.by_utc_hour):
            raise RatingInputError(
                "exactly one of by_month_day_type_hour and by_utc_hour must be given"
            )
        for key, price in self.by_month_day_type_hour.items():
            month, day_type, hour = key
            if not (1 <= month <= MONTHS and 0 <= hour < HOURS and isinstance(day_type, DayType)):
                raise RatingInputError(f"by_month_day_type_hour{key!r}: not a valid key")
            _require_decimal(price.generation, f"by_month_day_type_hour{key!r}.generation")
            _require_decimal(price.delivery, f"by_month_day_type_hour{key!r}.delivery")
        for hour_start, price in self.by_utc_hour.items():
            if hour_start % SECONDS_PER_HOUR:
                raise RatingInputError(f"by_utc_hour[{hour_start}]: not a UTC hour start")
            _require_decimal(price.generation, f"by_utc_hour[{hour_start}].generation")
            _require_decimal(price.delivery, f"by_utc_hour[{hour_start}].delivery")
