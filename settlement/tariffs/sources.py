"""Tariff files of each supported format read into a rating tariff and its local dates."""

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from settlement.rating.tariff import HourlyVectorTariff
from settlement.tariffs import definitions
from settlement.tariffs.importers import pge_export_rates, sce_export_credits, urdb
from settlement.tariffs.importers.errors import TariffFileError


class SourceFormat(StrEnum):
    """The file formats `import_tariff` reads (the names operators type)."""

    URDB = "urdb"
    PGE_EXPORT_RATES = "pge-export-rates"
    SCE_EXPORT_CREDITS = "sce-export-credits"

    @property
    def stored(self) -> str:
        """Return the code stored on a version (upper case, underscores)."""
        return self.value.upper().replace("-", "_")


# URDB schedules carry no holidays; SCE's table is priced by SCE's calendar; PG&E's file
# flags its holiday hours row by row, so no calendar is layered on it.
DEFAULT_CALENDAR = {
    SourceFormat.URDB: "none",
    SourceFormat.PGE_EXPORT_RATES: "none",
    SourceFormat.SCE_EXPORT_CREDITS: "sce",
}


@dataclass(frozen=True)
class TariffPart:
    """One version's worth of a file: a tariff over local dates [effective_from, effective_to)."""

    tariff: definitions.Tariff
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True)
class TariffFile:
    """What a file holds: its parts (one per calendar year it prices, in order), names."""

    parts: tuple[TariffPart, ...]
    name: str
    utility: str
    warnings: tuple[str, ...]


def _fail(field: str, reason: str) -> TariffFileError:
    return TariffFileError(f"{field}: {reason}", details={"field": field, "reason": reason})


def _local_date_from(epoch_s: int, zone: ZoneInfo, *, round_up: bool) -> date:
    # A version holds whole local days: a start inside a day begins the next day when the
    # day is not fully covered (round_up), an end inside a day includes it otherwise.
    moment = datetime.fromtimestamp(epoch_s, tz=UTC).astimezone(zone)
    if moment.time() == time(0) or not round_up:
        return moment.date()
    return moment.date() + timedelta(days=1)


def _read_urdb(data: bytes, time_zone: str, effective_from: date | None) -> TariffFile:
    parsed = urdb.parse_urdb(data)
    rate = parsed.rate
    zone = ZoneInfo(time_zone)
    warnings = list(parsed.warnings)
    if rate.fixed_charge:
        warnings.append(
            "fixedchargefirstmeter: belongs to the import bill, not applied to export credits"
        )
    if effective_from is None:
        if rate.start_utc is None:
            raise _fail("startdate", "missing; give --effective-from")
        effective_from = _local_date_from(rate.start_utc, zone, round_up=False)
    effective_to = None
    if rate.end_utc is not None:
        # URDB's enddate is the instant the rate stopped; the day it falls in is its last
        # unless it is a local midnight.
        effective_to = _local_date_from(rate.end_utc, zone, round_up=True)
        if effective_to <= effective_from:
            raise _fail("enddate", f"{effective_to} is not after the start {effective_from}")
    tariff = urdb.to_tou_tariff(rate, time_zone=time_zone, holidays=frozenset())
    return TariffFile(
        parts=(TariffPart(tariff, effective_from, effective_to),),
        name=rate.name or rate.label,
        utility=rate.utility,
        warnings=tuple(warnings),
    )


def _read_pge(data: bytes, time_zone: str, effective_from: date | None) -> TariffFile:
    parsed = pge_export_rates.parse_pge_export_rates(data, time_zone=time_zone)
    zone = ZoneInfo(time_zone)
    # Prices exist per UTC hour; the version covers the whole local days they span.
    covered_from = _local_date_from(parsed.first_hour_utc, zone, round_up=True)
    covered_to = _local_date_from(parsed.end_hour_utc, zone, round_up=False)
    if covered_to <= covered_from:
        raise _fail("file", "its hours do not cover one whole local day")
    if effective_from is not None and not covered_from <= effective_from < covered_to:
        raise _fail(
            "effective_from",
            f"{effective_from} is outside the days the file prices [{covered_from}, {covered_to})",
        )
    start = effective_from or covered_from
    return TariffFile(
        parts=tuple(
            TariffPart(_hours_between(parsed.tariff, part_from, part_to, zone), part_from, part_to)
            for part_from, part_to in _calendar_years(start, covered_to)
        ),
        name=f"PG&E {parsed.rate_name} export rates",
        utility="Pacific Gas and Electric Company",
        warnings=parsed.warnings,
    )


def _calendar_years(start: date, end: date) -> list[tuple[date, date]]:
    """Return [start, end) cut at every January 1 inside it."""
    cuts = [date(year, 1, 1) for year in range(start.year + 1, end.year + 1)]
    bounds = [start, *(cut for cut in cuts if start < cut < end), end]
    return list(itertools.pairwise(bounds))


def _local_midnight_utc(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, time(0), tzinfo=zone).timestamp())


def _hours_between(
    tariff: HourlyVectorTariff, start: date, end: date, zone: ZoneInfo
) -> HourlyVectorTariff:
    """Return the part of a UTC-hour vector that prices the local days [start, end)."""
    first, stop = _local_midnight_utc(start, zone), _local_midnight_utc(end, zone)
    return replace(
        tariff,
        by_utc_hour={
            hour: price for hour, price in tariff.by_utc_hour.items() if first <= hour < stop
        },
        holidays=frozenset(day for day in tariff.holidays if start <= day < end),
    )


def _read_sce(data: bytes, time_zone: str, effective_from: date | None) -> TariffFile:
    # The table is a vintage's whole schedule, one block of prices per calendar year: every
    # year from the first one taken becomes its own version. Holidays come from the plan's
    # calendar when a period is priced, for any year.
    first = sce_export_credits.parse_sce_export_credits(
        data,
        year=None if effective_from is None else effective_from.year,
        time_zone=time_zone,
        holidays=frozenset(),
    )
    parts = [
        TariffPart(
            first.tariff, effective_from or date(first.year, 1, 1), date(first.year + 1, 1, 1)
        )
    ]
    for year in (year for year in first.years if year > first.year):
        parsed = sce_export_credits.parse_sce_export_credits(
            data, year=year, time_zone=time_zone, holidays=frozenset()
        )
        parts.append(TariffPart(parsed.tariff, date(year, 1, 1), date(year + 1, 1, 1)))
    return TariffFile(
        parts=tuple(parts),
        name=f"SCE export credits {first.years[0]} vintage",
        utility="Southern California Edison",
        warnings=first.warnings,
    )


_READERS = {
    SourceFormat.URDB: _read_urdb,
    SourceFormat.PGE_EXPORT_RATES: _read_pge,
    SourceFormat.SCE_EXPORT_CREDITS: _read_sce,
}


def read_tariff_file(
    *, data: bytes, source_format: SourceFormat, time_zone: str, effective_from: date | None
) -> TariffFile:
    """Return the tariff in `data` read as `source_format`, priced in `time_zone`.

    A file that prices several calendar years (an SCE table, a PG&E file spanning January 1)
    has one part per year. `effective_from` overrides the start the file gives (URDB
    `startdate`, the first whole local day of a PG&E file, January 1 of an SCE table's first
    year) and is the first year taken. Raises TariffFileError naming the field and the reason.
    """
    return _READERS[source_format](data, time_zone, effective_from)
