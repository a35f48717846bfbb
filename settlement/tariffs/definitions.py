"""Tariff definitions as JSON: the rating dataclasses to plain values and back, exactly.

Decimals travel as strings (never floats), dates as ISO text, mappings as sorted rows, so
the same tariff always gives the same JSON and `from_json(to_json(t)) == t`.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from settlement.errors import DomainError
from settlement.rating import money
from settlement.rating.errors import RatingInputError
from settlement.rating.tariff import (
    DayType,
    FixedItem,
    HourlyVectorTariff,
    Schedule,
    Tier,
    TouPeriod,
    TouTariff,
    VectorPrice,
)

TOU = "TOU"
VECTOR = "VECTOR"
Tariff = TouTariff | HourlyVectorTariff
Json = dict[str, Any]


class DefinitionInvalid(DomainError):
    """A stored tariff definition cannot be read back into a rating tariff."""

    code = "tariff_definition_invalid"
    http_status = 500


def kind_of(tariff: Tariff) -> str:
    """Return "TOU" for a time-of-use tariff, "VECTOR" for an hourly price vector."""
    return TOU if isinstance(tariff, TouTariff) else VECTOR


def entry_count(tariff: Tariff) -> int:
    """Return the number of TOU periods, or of price entries of a vector."""
    if isinstance(tariff, TouTariff):
        return len(tariff.periods)
    return len(tariff.by_month_day_type_hour) or len(tariff.by_utc_hour)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _common(tariff: Tariff) -> Json:
    return {
        "time_zone": tariff.time_zone,
        "holidays": sorted(day.isoformat() for day in tariff.holidays),
        "fixed_items": [
            {"label": item.label, "amount": str(item.amount), "per": item.per}
            for item in tariff.fixed_items
        ],
        "minimum_total": _text(tariff.minimum_total),
        "maximum_total": _text(tariff.maximum_total),
    }


def to_json(tariff: Tariff) -> Json:
    """Return `tariff` as JSON-ready values (Decimals as strings) with its kind."""
    if isinstance(tariff, TouTariff):
        return {
            "kind": TOU,
            **_common(tariff),
            "periods": [
                {
                    "label": period.label,
                    "export_price": str(period.export_price),
                    "import_price": _text(period.import_price),
                    "tiers": [
                        {"max_kwh": _text(tier.max_kwh), "price": str(tier.price)}
                        for tier in period.tiers
                    ],
                }
                for period in tariff.periods
            ],
            "weekday_schedule": [list(row) for row in tariff.weekday_schedule],
            "weekend_schedule": [list(row) for row in tariff.weekend_schedule],
            "tier_basis": tariff.tier_basis,
        }
    return {
        "kind": VECTOR,
        **_common(tariff),
        # Rows rather than objects: a year of hourly prices stays a few hundred kB.
        "by_month_day_type_hour": [
            [month, day_type.value, hour, str(price.generation), str(price.delivery)]
            for (month, day_type, hour), price in sorted(tariff.by_month_day_type_hour.items())
        ],
        "by_utc_hour": [
            [hour_start, str(price.generation), str(price.delivery)]
            for hour_start, price in sorted(tariff.by_utc_hour.items())
        ],
    }


def _fail(where: str, reason: str) -> NoReturn:
    raise DefinitionInvalid(f"{where}: {reason}", details={"field": where, "reason": reason})


def _decimal(value: object, where: str) -> Decimal:
    # Only strings: a JSON float would already have lost the exact price.
    if not isinstance(value, str):
        _fail(where, f"must be a decimal string, got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        _fail(where, f"{value!r} is not a decimal number")


def _optional_decimal(value: object, where: str) -> Decimal | None:
    return None if value is None else _decimal(value, where)


def _price(value: object, where: str) -> Decimal:
    # A stored definition's money is bounded as the importers bound it (a definition may
    # also arrive through the API or the admin).
    number = _decimal(value, where)
    problem = money.bound_problem(number, places=money.PRICE_PLACES, ceiling=money.PRICE_CEILING)
    if problem is not None:
        _fail(where, problem)
    return number


def _optional_price(value: object, where: str) -> Decimal | None:
    return None if value is None else _price(value, where)


def _list(value: object, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        _fail(where, "must be a list")
    return value


def _schedule(value: object, where: str) -> Schedule:
    return tuple(tuple(_list(row, f"{where}[{n}]")) for n, row in enumerate(_list(value, where)))


def _holidays(value: object) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(day) for day in _list(value, "holidays"))
    except (TypeError, ValueError):
        _fail("holidays", "must be a list of ISO dates")


def _fixed_items(value: object) -> tuple[FixedItem, ...]:
    return tuple(
        FixedItem(
            label=str(item["label"]),
            amount=_price(item["amount"], f"fixed_items[{n}].amount"),
            per=item["per"],
        )
        for n, item in enumerate(_list(value, "fixed_items"))
    )


def _tou(data: Mapping[str, Any]) -> TouTariff:
    periods = tuple(
        TouPeriod(
            label=str(period["label"]),
            export_price=_price(period["export_price"], f"periods[{n}].export_price"),
            import_price=_optional_price(period["import_price"], f"periods[{n}].import_price"),
            tiers=tuple(
                Tier(
                    max_kwh=_optional_decimal(tier["max_kwh"], f"periods[{n}].tiers[{t}].max_kwh"),
                    price=_price(tier["price"], f"periods[{n}].tiers[{t}].price"),
                )
                for t, tier in enumerate(_list(period["tiers"], f"periods[{n}].tiers"))
            ),
        )
        for n, period in enumerate(_list(data["periods"], "periods"))
    )
    return TouTariff(
        time_zone=data["time_zone"],
        periods=periods,
        weekday_schedule=_schedule(data["weekday_schedule"], "weekday_schedule"),
        weekend_schedule=_schedule(data["weekend_schedule"], "weekend_schedule"),
        holidays=_holidays(data["holidays"]),
        tier_basis=data["tier_basis"],
        fixed_items=_fixed_items(data["fixed_items"]),
        minimum_total=_optional_price(data["minimum_total"], "minimum_total"),
        maximum_total=_optional_price(data["maximum_total"], "maximum_total"),
    )


def _vector(data: Mapping[str, Any]) -> HourlyVectorTariff:
    by_key = {}
    for n, row in enumerate(_list(data["by_month_day_type_hour"], "by_month_day_type_hour")):
        month, day_type, hour, generation, delivery = row
        where = f"by_month_day_type_hour[{n}]"
        by_key[(month, DayType(day_type), hour)] = VectorPrice(
            _price(generation, f"{where}.generation"), _price(delivery, f"{where}.delivery")
        )
    by_hour = {}
    for n, row in enumerate(_list(data["by_utc_hour"], "by_utc_hour")):
        hour_start, generation, delivery = row
        where = f"by_utc_hour[{n}]"
        by_hour[hour_start] = VectorPrice(
            _price(generation, f"{where}.generation"), _price(delivery, f"{where}.delivery")
        )
    return HourlyVectorTariff(
        time_zone=data["time_zone"],
        by_month_day_type_hour=by_key,
        by_utc_hour=by_hour,
        holidays=_holidays(data["holidays"]),
        fixed_items=_fixed_items(data["fixed_items"]),
        minimum_total=_optional_price(data["minimum_total"], "minimum_total"),
        maximum_total=_optional_price(data["maximum_total"], "maximum_total"),
    )


def from_json(data: Mapping[str, Any]) -> Tariff:
    """Return the rating tariff `to_json` produced `data` from.

    Raises DefinitionInvalid naming the field when `data` is not such a definition.
    """
    try:
        if data.get("kind") == TOU:
            return _tou(data)
        if data.get("kind") == VECTOR:
            return _vector(data)
    except KeyError as error:
        _fail(str(error.args[0]), "missing")
    except (TypeError, ValueError) as error:
        _fail("definition", str(error))
    except RatingInputError as error:
        _fail("definition", error.message)
    _fail("kind", f"must be {TOU!r} or {VECTOR!r}, got {data.get('kind')!r}")
