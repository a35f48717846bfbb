"""OpenEI Utility Rate Database (URDB) JSON: one rate in, a TOU tariff and warnings out."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NoReturn

from settlement.rating import money
from settlement.rating.errors import RatingInputError
from settlement.rating.tariff import FixedItem, Schedule, Tier, TierBasis, TouPeriod, TouTariff
from settlement.tariffs.importers.errors import TariffFileError

_SCHEDULE_FIELDS = ("energyweekdayschedule", "energyweekendschedule")
_TIER_UNITS: dict[str, TierBasis] = {"kWh": "monthly", "kWh daily": "daily"}
_FIXED_UNITS = {"$/month": "month", "$/day": "day"}
_NET_METERING = "Net Metering"
# Fields read into UrdbRate.
_USED = {
    "energyratestructure",
    *_SCHEDULE_FIELDS,
    "fixedchargefirstmeter",
    "fixedchargeunits",
    "mincharge",
    "minchargeunits",
    "dgrules",
    "startdate",
    "enddate",
    "utility",
    "name",
    "label",
}
# Descriptive fields that change no price: read past without a warning.
_DESCRIPTIVE = {
    "_id",
    "uri",
    "approved",
    "is_default",
    "sector",
    "description",
    "source",
    "sourceparent",
    "basicinformationcomments",
    "energycomments",
    "demandcomments",
    "eiaid",
    "country",
    "supersedes",
    "revisions",
    "latest_update",
    "creationdate",
    "lastupdate",
    "servicetype",
    "voltagecategory",
    "phasewiring",
    "peakkwcapacitymin",
    "peakkwcapacitymax",
    "peakkwcapacityhistory",
    "peakkwhusagemin",
    "peakkwhusagemax",
    "peakkwhusagehistory",
    "voltageminimum",
    "voltagemaximum",
}


@dataclass(frozen=True)
class UrdbTier:
    """One tier of a URDB period; `price` is `rate + adj`, `sell` the export price if any."""

    rate: Decimal
    adj: Decimal
    max_kwh: Decimal | None
    unit: str
    sell: Decimal | None

    @property
    def price(self) -> Decimal:
        """Return the import price of the tier, `rate + adj`, $/kWh."""
        return self.rate + self.adj


@dataclass(frozen=True)
class UrdbRate:
    """The fields of one URDB rate that pricing needs, as read from the file."""

    label: str
    name: str
    utility: str
    start_utc: int | None
    end_utc: int | None
    periods: tuple[tuple[UrdbTier, ...], ...]
    weekday_schedule: Schedule
    weekend_schedule: Schedule
    fixed_charge: Decimal | None
    fixed_charge_units: str | None
    min_charge: Decimal | None
    min_charge_units: str | None
    dg_rules: str | None


@dataclass(frozen=True)
class UrdbImport:
    """A parsed URDB rate and what the parser noticed but did not use."""

    rate: UrdbRate
    warnings: tuple[str, ...]


def _fail(where: str, reason: str) -> NoReturn:
    raise TariffFileError(f"{where}: {reason}", details={"field": where, "reason": reason})


def _reject_constant(name: str) -> NoReturn:
    _fail("JSON", f"{name} is not a number a tariff can use")


def _decimal(value: object, where: str) -> Decimal:
    # JSON floats arrive as Decimal (parse_float=Decimal), so no binary rounding crept in.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        _fail(where, f"must be a number, got {value!r}")
    return Decimal(value)


def _price(value: object, where: str) -> Decimal:
    # Every money number of a tariff (prices, fixed and minimum charges) is bounded like a
    # program's: finite, 5 places, below the ceiling (`money.bound_problem`), so no import
    # holds a number a run could not price, store or post.
    number = _decimal(value, where)
    problem = money.bound_problem(number, places=money.PRICE_PLACES, ceiling=money.PRICE_CEILING)
    if problem is not None:
        _fail(where, problem)
    return number


def _optional_price(rate: Mapping[str, object], key: str) -> Decimal | None:
    return None if rate.get(key) is None else _price(rate[key], key)


def _optional_text(rate: Mapping[str, object], key: str) -> str | None:
    value = rate.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        _fail(key, f"must be text, got {value!r}")
    return value


def _optional_epoch(rate: Mapping[str, object], key: str) -> int | None:
    value = rate.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(key, f"must be epoch seconds (an integer), got {value!r}")
    return value


def _tier(raw: object, where: str, warnings: list[str], *, last: bool) -> UrdbTier:
    if not isinstance(raw, dict):
        _fail(where, "must be an object {rate, adj?, max?, unit?, sell?}")
    if "rate" not in raw:
        _fail(f"{where}.rate", "missing")
    for key in sorted(set(raw) - {"rate", "adj", "max", "unit", "sell"}):
        warnings.append(f"{where}.{key}: unknown tier field ignored")
    unit = raw.get("unit", "kWh")
    if unit not in _TIER_UNITS:
        _fail(f"{where}.unit", f"{unit!r} not supported (supported: {', '.join(_TIER_UNITS)})")
    max_kwh = None if raw.get("max") is None else _decimal(raw["max"], f"{where}.max")
    if last and max_kwh is not None:
        warnings.append(
            f"{where}.max: ignored, the last tier prices all energy above the previous ceiling"
        )
        max_kwh = None
    return UrdbTier(
        rate=_price(raw["rate"], f"{where}.rate"),
        adj=_price(raw.get("adj", 0), f"{where}.adj"),
        max_kwh=max_kwh,
        unit=str(unit),
        sell=None if raw.get("sell") is None else _price(raw["sell"], f"{where}.sell"),
    )


def _periods(raw: object, warnings: list[str]) -> tuple[tuple[UrdbTier, ...], ...]:
    if not isinstance(raw, list) or not raw:
        _fail("energyratestructure", "must be a non-empty list of periods")
    periods = []
    for number, tiers in enumerate(raw):
        where = f"energyratestructure[{number}]"
        if not isinstance(tiers, list) or not tiers:
            _fail(where, "must be a non-empty list of tiers")
        periods.append(
            tuple(
                _tier(tier, f"{where}[{index}]", warnings, last=index == len(tiers) - 1)
                for index, tier in enumerate(tiers)
            )
        )
    return tuple(periods)


def _schedule(raw: object, name: str, period_count: int) -> Schedule:
    # URDB indices are 0-based into energyratestructure; a 1-based file fails here.
    if not isinstance(raw, list) or len(raw) != 12:
        _fail(name, f"must be 12 months of 24 hours, got {_shape(raw)}")
    rows = []
    for month, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != 24:
            _fail(f"{name}[{month}]", f"must be 24 hours, got {_shape(row)}")
        for hour, period in enumerate(row):
            if isinstance(period, bool) or not isinstance(period, int):
                _fail(f"{name}[{month}][{hour}]", f"must be an integer, got {period!r}")
            if not 0 <= period < period_count:
                _fail(
                    f"{name}[{month}][{hour}]",
                    f"period index {period} out of range ({period_count} periods)",
                )
        rows.append(tuple(row))
    return tuple(rows)


def _shape(raw: object) -> str:
    return f"a list of {len(raw)}" if isinstance(raw, list) else type(raw).__name__


def _single_rate(document: object) -> dict[str, object]:
    if isinstance(document, dict) and "items" in document:
        items = document["items"]
        if not isinstance(items, list) or len(items) != 1:
            count = len(items) if isinstance(items, list) else "no list"
            _fail("items", f"must hold exactly one rate, holds {count}")
        document = items[0]
    if not isinstance(document, dict):
        _fail("JSON", 'must be one rate object or {"items": [rate]}')
    return document


def parse_urdb(data: bytes | str) -> UrdbImport:
    """Return the rate in a URDB JSON document (one rate, or the API's one-item wrapper).

    Numbers are read as Decimal from their text. Fields the parser does not know, and price
    fields it does not apply (demand charges), are listed in `warnings`. Raises
    `TariffFileError` naming the field and the reason when the file cannot be a rate.
    """
    try:
        document = json.loads(data, parse_float=Decimal, parse_constant=_reject_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise TariffFileError(f"JSON: not valid JSON ({error})") from error
    rate = _single_rate(document)
    warnings: list[str] = []
    for key in sorted(set(rate) - _USED - _DESCRIPTIVE):
        if key.startswith(("demand", "flatdemand", "coincident")):
            warnings.append(f"{key}: demand charges are not applied to export rating")
        else:
            warnings.append(f"{key}: unknown field ignored")
    if "energyratestructure" not in rate:
        _fail("energyratestructure", "missing")
    periods = _periods(rate["energyratestructure"], warnings)
    schedules = []
    for name in _SCHEDULE_FIELDS:
        if name not in rate:
            _fail(name, "missing")
        schedules.append(_schedule(rate[name], name, len(periods)))
    basis = {_TIER_UNITS[tier.unit] for tiers in periods for tier in tiers if tier.max_kwh}
    if len(basis) > 1:
        _fail("energyratestructure", "tiers mix monthly (kWh) and daily (kWh daily) ceilings")
    return UrdbImport(
        rate=UrdbRate(
            label=_optional_text(rate, "label") or "",
            name=_optional_text(rate, "name") or "",
            utility=_optional_text(rate, "utility") or "",
            start_utc=_optional_epoch(rate, "startdate"),
            end_utc=_optional_epoch(rate, "enddate"),
            periods=periods,
            weekday_schedule=schedules[0],
            weekend_schedule=schedules[1],
            fixed_charge=_optional_price(rate, "fixedchargefirstmeter"),
            fixed_charge_units=_optional_text(rate, "fixedchargeunits"),
            min_charge=_optional_price(rate, "mincharge"),
            min_charge_units=_optional_text(rate, "minchargeunits"),
            dg_rules=_optional_text(rate, "dgrules"),
        ),
        warnings=tuple(warnings),
    )


def _export_price(rate: UrdbRate, tier: UrdbTier, where: str) -> Decimal:
    if tier.sell is not None:
        return tier.sell
    # Net metering credits exports at the retail price; other rules need an explicit sell.
    if rate.dg_rules == _NET_METERING:
        return tier.price
    _fail(f"{where}.sell", f"missing, and dgrules {rate.dg_rules!r} gives no export price")


def _fixed_items(rate: UrdbRate) -> tuple[FixedItem, ...]:
    if not rate.fixed_charge:
        return ()
    per = _FIXED_UNITS.get(rate.fixed_charge_units or "$/month")
    if per is None:
        _fail("fixedchargeunits", f"{rate.fixed_charge_units!r} not supported ($/month, $/day)")
    # A URDB fixed charge is paid by the customer, so it enters as a negative amount.
    return (
        FixedItem(
            label="Fixed charge", amount=-rate.fixed_charge, per="day" if per == "day" else "month"
        ),
    )


def to_tou_tariff(
    rate: UrdbRate,
    *,
    time_zone: str,
    holidays: frozenset[date],
    period_labels: Sequence[str] | None = None,
    include_fixed_charge: bool = False,
) -> TouTariff:
    """Return the export TOU tariff of a URDB rate in `time_zone`, with `holidays` layered on.

    URDB schedules carry no holidays, so the caller names them (see `holiday_calendars`).
    Each period's export price is `sell` (net metering without `sell`: `rate + adj`). The
    customer's fixed charge is added as a negative daily or monthly line only when
    `include_fixed_charge`; the minimum charge belongs to the import bill and is not applied.
    Raises `TariffFileError` when an export price is unknown or the result is not a valid
    tariff.
    """
    tier_prices = [
        [
            _export_price(rate, tier, f"energyratestructure[{number}][{index}]")
            for index, tier in enumerate(tiers)
        ]
        for number, tiers in enumerate(rate.periods)
    ]
    labels = list(period_labels or _period_names(rate, [prices[0] for prices in tier_prices]))
    if len(labels) != len(rate.periods):
        _fail("period_labels", f"{len(labels)} labels for {len(rate.periods)} periods")
    periods = []
    for number, tiers in enumerate(rate.periods):
        prices = tier_prices[number]
        periods.append(
            TouPeriod(
                label=labels[number],
                export_price=prices[0],
                import_price=tiers[0].price,
                tiers=tuple(
                    Tier(max_kwh=tier.max_kwh, price=price)
                    for tier, price in zip(tiers, prices, strict=True)
                )
                if len(tiers) > 1
                else (),
            )
        )
    basis = {_TIER_UNITS[tier.unit] for tiers in rate.periods for tier in tiers if tier.max_kwh}
    try:
        return TouTariff(
            time_zone=time_zone,
            periods=tuple(periods),
            weekday_schedule=rate.weekday_schedule,
            weekend_schedule=rate.weekend_schedule,
            holidays=holidays,
            tier_basis=basis.pop() if basis else "monthly",
            fixed_items=_fixed_items(rate) if include_fixed_charge else (),
        )
    except RatingInputError as error:
        raise TariffFileError(error.message) from error


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Within one season, periods by falling export price.
_PRICE_WORDS = {1: ("all hours",), 2: ("peak", "off-peak"), 3: ("peak", "mid-peak", "off-peak")}


def _period_names(rate: UrdbRate, export_prices: Sequence[Decimal]) -> list[str]:
    """Return a name for each period from the rate's own schedules and prices.

    URDB gives periods no names. A period is named by its season (the months the schedules
    use it in, e.g. "Jun-Sep") and, among the periods of that season, by its export price:
    "peak" for the highest, "off-peak" for the lowest ("mid-peak" between, for three). A
    season of more than three periods, or a period in no schedule, keeps "Period N".
    """
    months: list[set[int]] = [set() for _ in rate.periods]
    for schedule in (rate.weekday_schedule, rate.weekend_schedule):
        for month, hours in enumerate(schedule, start=1):
            for period in hours:
                months[period].add(month)
    seasons: dict[frozenset[int], list[int]] = {}
    for period, used in enumerate(months):
        seasons.setdefault(frozenset(used), []).append(period)
    names = [f"Period {period}" for period in range(len(rate.periods))]
    for season, members in seasons.items():
        words = _PRICE_WORDS.get(len(members))
        if not season or words is None:
            continue
        ranked = sorted(members, key=lambda period: export_prices[period], reverse=True)
        if len({export_prices[period] for period in members}) != len(members):
            continue  # two periods at one price: no honest peak/off-peak
        for period, word in zip(ranked, words, strict=True):
            names[period] = f"{_month_range(season)} {word}"
    return names


def _month_range(months: frozenset[int]) -> str:
    """Return "Jun-Sep", "Oct-May" (wrapping the year end), "All year" or "Jan, Mar"."""
    if len(months) == len(_MONTHS):
        return "All year"
    ordered = sorted(months)
    # A contiguous run, possibly across December: start where the previous month is absent.
    starts = [month for month in ordered if (month - 2) % 12 + 1 not in months]
    if len(starts) == 1:
        first = starts[0]
        last = (first + len(months) - 2) % 12 + 1
        return _MONTHS[first - 1] if first == last else f"{_MONTHS[first - 1]}-{_MONTHS[last - 1]}"
    return ", ".join(_MONTHS[month - 1] for month in ordered)
