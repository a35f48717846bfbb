"""PG&E Net Billing Tariff export-rate CSV: UTC hour rows in, an absolute-hour price vector out."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from settlement.rating import money
from settlement.rating.errors import RatingInputError
from settlement.rating.local_time import zone_info
from settlement.rating.tariff import HourlyVectorTariff, VectorPrice
from settlement.tariffs.importers.errors import TariffFileError
from settlement.tariffs.importers.table import Table

HEADER = (
    "RIN",
    "RateName",
    "DateStart",
    "TimeStart",
    "DateEnd",
    "TimeEnd",
    "DayStart",
    "DayEnd",
    "ValueName",
    "Value",
    "Unit",
    "RateType",
    "Sector",
)
GENERATION_PREFIX = "USCA-XXPG-"
DELIVERY_PREFIX = "USCA-PGXX-"
HOLIDAY_DAY = 8
_VALUE_NAME = re.compile(
    r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (Weekday|Weekend) HS(\d{1,2})$"
)
_HOUR = timedelta(hours=1)
_LAST_SECOND = timedelta(minutes=59, seconds=59)
_MAX_LISTED_ERRORS = 20


@dataclass(frozen=True)
class PgeExportRates:
    """The file's prices as a UTC-hour vector, the hours it covers and what did not fit.

    `first_hour_utc` and `end_hour_utc` (exclusive) are epoch seconds; `holidays` in the
    tariff are the local dates the file marks with DayStart 8.
    """

    tariff: HourlyVectorTariff
    rate_name: str
    first_hour_utc: int
    end_hour_utc: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Row:
    line: int
    component: str
    rate_name: str
    hour_utc: datetime
    day_start: int
    value_name: str
    value: Decimal


def _utc(day: str, time: str) -> datetime:
    # The readme: "DateStart, TimeStart, DateEnd and TimeEnd values are in ... UTC".
    return datetime.strptime(f"{day} {time} +0000", "%m/%d/%Y %H:%M:%S %z")


def _parse_row(line: int, fields: Sequence[str]) -> _Row:
    values = dict(zip(HEADER, (field.strip() for field in fields), strict=True))
    rin = values["RIN"]
    if rin.startswith(GENERATION_PREFIX):
        component = "generation"
    elif rin.startswith(DELIVERY_PREFIX):
        component = "delivery"
    else:
        raise ValueError(
            f"RIN {rin!r} is neither generation ({GENERATION_PREFIX}...) "
            f"nor delivery ({DELIVERY_PREFIX}...)"
        )
    try:
        start = _utc(values["DateStart"], values["TimeStart"])
        end = _utc(values["DateEnd"], values["TimeEnd"])
    except ValueError:
        raise ValueError("DateStart/TimeStart/DateEnd/TimeEnd: not m/d/Y H:M:S") from None
    if start.minute or start.second or end - start != _LAST_SECOND:
        raise ValueError(f"{start} to {end}: not one UTC hour (H:00:00 to H:59:59)")
    if values["DayStart"] not in {str(day) for day in range(1, 9)}:
        raise ValueError(f"DayStart {values['DayStart']!r}: must be 1-7 (Mon-Sun) or 8")
    if values["DayEnd"] != values["DayStart"]:
        raise ValueError(f"DayEnd {values['DayEnd']!r}: must equal DayStart")
    if not _VALUE_NAME.match(values["ValueName"]):
        raise ValueError(f"ValueName {values['ValueName']!r}: not 'Mon Weekday|Weekend HSn'")
    if "$/kWh" not in values["Unit"]:
        raise ValueError(f"Unit {values['Unit']!r}: expected $/kWh")
    try:
        value = Decimal(values["Value"])
    except InvalidOperation:
        raise ValueError(f"Value {values['Value']!r}: not a number") from None
    if not value.is_finite():
        raise ValueError(f"Value {values['Value']!r}: not a finite number")
    problem = money.bound_problem(value, places=money.PRICE_PLACES, ceiling=money.PRICE_CEILING)
    if problem is not None:
        raise ValueError(f"Value {values['Value']!r}: {problem}")
    return _Row(
        line=line,
        component=component,
        hour_utc=start.astimezone(UTC),
        rate_name=values["RateName"],
        day_start=int(values["DayStart"]),
        value_name=values["ValueName"],
        value=value,
    )


def _label_warnings(row: _Row, time_zone: str) -> list[str]:
    # The labels are PG&E's local reading of the UTC hour; the UTC hour is what is priced.
    local = row.hour_utc.astimezone(zone_info(time_zone))
    month, day_type, hour_label = row.value_name.split()
    hour = int(hour_label.removeprefix("HS"))
    where = f"line {row.line}: {row.value_name!r} at {row.hour_utc:%Y-%m-%d %H:%M}Z"
    warnings = []
    if month != f"{local:%b}" or hour != local.hour:
        warnings.append(
            f"{where} is local {local:%Y-%m-%d %H:%M %Z} (hour {local.hour}); "
            "the row's price is used for that UTC hour as published"
        )
    off_day = row.day_start == HOLIDAY_DAY or row.day_start >= 6
    if row.day_start != HOLIDAY_DAY and row.day_start != local.isoweekday():
        warnings.append(f"{where}: DayStart {row.day_start} but local day is {local:%A}")
    if (day_type == "Weekend") != off_day:
        warnings.append(f"{where}: {day_type} label disagrees with DayStart {row.day_start}")
    return warnings


def parse_pge_export_rates(
    data: bytes | str, *, time_zone: str = "America/Los_Angeles"
) -> PgeExportRates:
    """Return the export prices of a PG&E NBT export-rate CSV as a UTC-hour price vector.

    RIN USCA-XXPG-... rows are the generation component, USCA-PGXX-... the delivery one.
    Rows whose labels disagree with their UTC hour are priced by the UTC hour and listed in
    `warnings` with their line number. Raises `TariffFileError` listing line numbers when
    the header is wrong, a row cannot be read, an hour is duplicated or missing, or the file
    mixes vintages.
    """
    errors: list[str] = []
    warnings: list[str] = []
    rows: list[_Row] = []
    for line, fields in Table(data, header=HEADER):
        if not any(field.strip() for field in fields):
            warnings.append(f"line {line}: empty row skipped")
            continue
        if len(fields) != len(HEADER):
            errors.append(f"line {line}: {len(fields)} fields, expected {len(HEADER)}")
            continue
        try:
            row = _parse_row(line, fields)
        except ValueError as error:
            errors.append(f"line {line}: {error}")
            continue
        rows.append(row)
        warnings.extend(_label_warnings(row, time_zone))
    rate_names = {row.rate_name for row in rows}
    if len(rate_names) > 1:
        errors.append(f"RateName: the file mixes {', '.join(sorted(rate_names))}")
    prices: dict[str, dict[datetime, Decimal]] = {"generation": {}, "delivery": {}}
    for row in rows:
        if row.hour_utc in prices[row.component]:
            errors.append(
                f"line {row.line}: second {row.component} price for {row.hour_utc:%Y-%m-%d %H:%M}Z"
            )
        prices[row.component][row.hour_utc] = row.value
    if not rows and not errors:
        errors.append("file: no price rows")
    if not errors:
        errors.extend(_coverage_errors(prices))
    if errors:
        listed = errors[:_MAX_LISTED_ERRORS]
        more = f" (and {len(errors) - len(listed)} more)" if len(errors) > len(listed) else ""
        raise TariffFileError("; ".join(listed) + more, details={"errors": errors})
    return _result(rows, prices, rate_names.pop(), time_zone, warnings)


def _coverage_errors(prices: dict[str, dict[datetime, Decimal]]) -> list[str]:
    hours = sorted(set(prices["generation"]) | set(prices["delivery"]))
    errors = []
    hour = hours[0]
    while hour <= hours[-1]:
        for component, by_hour in prices.items():
            if hour not in by_hour:
                errors.append(f"{component}: no price for the UTC hour {hour:%Y-%m-%d %H:%M}Z")
        hour += _HOUR
    return errors


def _result(
    rows: list[_Row],
    prices: dict[str, dict[datetime, Decimal]],
    rate_name: str,
    time_zone: str,
    warnings: list[str],
) -> PgeExportRates:
    zone = zone_info(time_zone)
    holidays: set[date] = {
        row.hour_utc.astimezone(zone).date() for row in rows if row.day_start == HOLIDAY_DAY
    }
    hours = sorted(prices["generation"])
    try:
        tariff = HourlyVectorTariff(
            time_zone=time_zone,
            by_utc_hour={
                int(hour.timestamp()): VectorPrice(
                    generation=prices["generation"][hour], delivery=prices["delivery"][hour]
                )
                for hour in hours
            },
            holidays=frozenset(holidays),
        )
    except RatingInputError as error:
        raise TariffFileError(error.message) from error
    return PgeExportRates(
        tariff=tariff,
        rate_name=rate_name,
        first_hour_utc=int(hours[0].timestamp()),
        end_hour_utc=int((hours[-1] + _HOUR).timestamp()),
        warnings=tuple(warnings),
    )
