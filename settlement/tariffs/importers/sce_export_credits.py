"""SCE Net Billing export credit table: hour-ending rows in, month x day type x hour vectors out."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from settlement.rating import holiday_calendars, money
from settlement.rating.errors import RatingInputError
from settlement.rating.tariff import DayType, HourlyVectorTariff, MonthDayTypeHour, VectorPrice
from settlement.tariffs.importers.errors import TariffFileError
from settlement.tariffs.importers.table import Table

HEADER = (
    "Price Effective Date",
    "Month",
    "Hour",
    "Delivery - Weekday EEC",
    "Delivery - Weekend/Holiday EEC",
    "SCE Gen - Weekday EEC",
    "SCE Gen - Weekend/Holiday EEC",
)
_MAX_LISTED_ERRORS = 20


@dataclass(frozen=True)
class SceExportCredits:
    """One calendar year of the table as a price vector, the years the file holds, warnings."""

    tariff: HourlyVectorTariff
    year: int
    years: tuple[int, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Row:
    line: int
    year: int
    month: int
    hour_ending: int
    prices: tuple[Decimal, Decimal, Decimal, Decimal]


def _integer(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name} {text!r}: must be a whole number {low}-{high}")
    return int(text)


def _parse_row(line: int, fields: Sequence[str]) -> _Row:
    values = [field.strip() for field in fields]
    prices = []
    for name, text in zip(HEADER[3:], values[3:], strict=True):
        try:
            price = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{name} {text!r}: not a number") from None
        if not price.is_finite():
            raise ValueError(f"{name} {text!r}: not a finite number")
        problem = money.bound_problem(price, places=money.PRICE_PLACES, ceiling=money.PRICE_CEILING)
        if problem is not None:
            raise ValueError(f"{name} {text!r}: {problem}")
        prices.append(price)
    return _Row(
        line=line,
        year=_integer(values[0], HEADER[0], 1900, 2200),
        month=_integer(values[1], HEADER[1], 1, 12),
        hour_ending=_integer(values[2], HEADER[2], 1, 24),
        prices=(prices[0], prices[1], prices[2], prices[3]),
    )


def _read_rows(data: bytes | str) -> tuple[list[_Row], list[str], list[str]]:
    rows: list[_Row] = []
    errors: list[str] = []
    empty_lines: list[int] = []
    for line, fields in Table(data, header=HEADER):
        if not any(field.strip() for field in fields):
            empty_lines.append(line)
            continue
        if len(fields) != len(HEADER):
            errors.append(f"line {line}: {len(fields)} fields, expected {len(HEADER)}")
            continue
        try:
            rows.append(_parse_row(line, fields))
        except ValueError as error:
            errors.append(f"line {line}: {error}")
    warnings = []
    if empty_lines:
        # The published table separates its years with empty rows; they carry nothing.
        warnings.append(
            f"{len(empty_lines)} empty row(s) skipped (lines {', '.join(map(str, empty_lines))})"
        )
    return rows, errors, warnings


def parse_sce_export_credits(
    data: bytes | str,
    *,
    year: int | None = None,
    time_zone: str = "America/Los_Angeles",
    holidays: frozenset[date] | None = None,
) -> SceExportCredits:
    """Return one calendar year of an SCE export credit table as a price vector.

    "Hour" N is hour-ending, so it prices the local hour [N-1, N): key hour N - 1. `year`
    defaults to the first year in the file (the vintage's own year); `holidays` default to
    the SCE calendar of that year. Raises `TariffFileError` with line numbers for a wrong
    header, unreadable rows, duplicates, a missing hour or an absent year.
    """
    rows, errors, warnings = _read_rows(data)
    years = tuple(sorted({row.year for row in rows}))
    if not years and not errors:
        errors.append("file: no price rows")
    chosen = year if year is not None else (years[0] if years else 0)
    if years and chosen not in years:
        errors.append(f"year {chosen}: not in the file (years: {', '.join(map(str, years))})")
    table: dict[MonthDayTypeHour, VectorPrice] = {}
    for row in rows:
        if row.year != chosen:
            continue
        hour = row.hour_ending - 1
        weekday_key = (row.month, DayType.WEEKDAY, hour)
        if weekday_key in table:
            errors.append(f"line {row.line}: second row for {row.year}-{row.month:02d} hour {hour}")
        delivery_weekday, delivery_weekend, generation_weekday, generation_weekend = row.prices
        table[weekday_key] = VectorPrice(generation_weekday, delivery_weekday)
        table[(row.month, DayType.WEEKEND_HOLIDAY, hour)] = VectorPrice(
            generation_weekend, delivery_weekend
        )
    if not errors:
        errors.extend(
            f"{chosen}-{month:02d} Hour {hour + 1}: missing"
            for month in range(1, 13)
            for hour in range(24)
            if (month, DayType.WEEKDAY, hour) not in table
        )
    if errors:
        listed = errors[:_MAX_LISTED_ERRORS]
        more = f" (and {len(errors) - len(listed)} more)" if len(errors) > len(listed) else ""
        raise TariffFileError("; ".join(listed) + more, details={"errors": errors})
    try:
        tariff = HourlyVectorTariff(
            time_zone=time_zone,
            by_month_day_type_hour=table,
            holidays=holiday_calendars.holiday_dates(
                holiday_calendars.HolidayCalendar.SCE, [chosen]
            )
            if holidays is None
            else holidays,
        )
    except RatingInputError as error:
        raise TariffFileError(error.message) from error
    return SceExportCredits(tariff=tariff, year=chosen, years=years, warnings=tuple(warnings))
