"""Parse PG&E "Download My Data" interval CSVs: local wall-clock rows, kWh per flow."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import BinaryIO

from settlement.metering.formats import energy, quality, textio
from settlement.metering.formats.base import (
    FileRejected,
    Flow,
    Item,
    ParsedReading,
    ParseNotes,
    RowError,
)
from settlement.metering.formats.localtime import WallClock

BILLING_HISTORY = (
    "this is a billing-history export, not interval data; download the interval usage file"
)
# The preamble (name, address, account, service) is a handful of lines.
_HEADER_SEARCH_LINES = 40


@dataclass(frozen=True, slots=True)
class _Columns:
    """Positions of the columns this parser reads, found by header name."""

    date: int
    start: int
    end: int
    notes: int | None
    flows: tuple[tuple[Flow, int, str], ...]


def parse(
    stream: BinaryIO,
    *,
    timezone: str | None = None,
    meter_id: str | None = None,
    notes: ParseNotes | None = None,
) -> Iterator[Item]:
    """Return readings and row errors of a PG&E interval CSV.

    IMPORT (kWh) and EXPORT (kWh) each become a reading (USAGE (kWh) alone is IMPORT).
    The file names no meter in the service's terms, so every reading carries `meter_id`.
    Raises FileRejected, before anything is yielded, without `timezone`, for a billing
    history, or when no interval header is found.
    """
    notes = notes if notes is not None else ParseNotes()
    notes.meter_id_source = "caller" if meter_id is not None else None
    clock = WallClock(timezone=timezone, file_kind="PG&E interval CSV", notes=notes)
    reader = csv.reader(textio.lines(stream), strict=True)
    columns = _find_header(reader)
    return _rows(reader, columns=columns, clock=clock, meter_id=meter_id)


def _find_header(reader: textio.CsvReader) -> _Columns:
    """Return the column positions from the header row after the preamble."""
    for row in textio.csv_rows(reader):
        names = [cell.strip().upper() for cell in row]
        if names and names[0] == "TYPE":
            if "START DATE" in names or "END DATE" in names or "BILL" in ",".join(names):
                raise FileRejected(BILLING_HISTORY, code="billing_history")
            return _columns(names)
        if reader.line_num >= _HEADER_SEARCH_LINES:
            break
    raise FileRejected(
        "no PG&E interval header (TYPE,DATE,START TIME,END TIME,...) in the first "
        f"{_HEADER_SEARCH_LINES} lines",
        code="unknown_format",
    )


def _columns(names: list[str]) -> _Columns:
    """Return the positions of the needed columns in a header; reject a header without them."""
    missing = [name for name in ("DATE", "START TIME", "END TIME") if name not in names]
    if missing:
        raise FileRejected(f"the header lacks {', '.join(missing)}", code="unknown_format")
    flows: tuple[tuple[Flow, int, str], ...]
    if "IMPORT (KWH)" in names and "EXPORT (KWH)" in names:
        flows = (
            (Flow.IMPORT, names.index("IMPORT (KWH)"), "IMPORT (kWh)"),
            (Flow.EXPORT, names.index("EXPORT (KWH)"), "EXPORT (kWh)"),
        )
    elif "USAGE (KWH)" in names:
        flows = ((Flow.IMPORT, names.index("USAGE (KWH)"), "USAGE (kWh)"),)
    else:
        raise FileRejected(
            "the header has no IMPORT (kWh)/EXPORT (kWh) or USAGE (kWh) column: "
            "not an electric interval file",
            code="unknown_format",
        )
    return _Columns(
        date=names.index("DATE"),
        start=names.index("START TIME"),
        end=names.index("END TIME"),
        notes=names.index("NOTES") if "NOTES" in names else None,
        flows=flows,
    )


def _rows(
    reader: textio.CsvReader, *, columns: _Columns, clock: WallClock, meter_id: str | None
) -> Iterator[Item]:
    """Return the items of the data rows after the header."""
    width = 1 + max(columns.date, columns.start, columns.end, *(c for _, c, _ in columns.flows))
    for row in textio.csv_rows(reader):
        if not any(cell.strip() for cell in row):
            continue
        location = f"line {reader.line_num}"
        if len(row) < width:
            yield RowError(location, "row", f"expected at least {width} columns, got {len(row)}")
            continue
        note = (
            row[columns.notes].strip()
            if columns.notes is not None and columns.notes < len(row)
            else ""
        )
        row_quality = quality.from_utility_text(note)
        if row_quality is None:
            yield RowError(location, "NOTES", f"unknown quality note {note[:40]!r}")
            continue
        try:
            day = _date(row[columns.date])
            start_time, _ = _clock_time(row[columns.start])
            end_time, resolution_s = _clock_time(row[columns.end])
        except ValueError as error:
            yield RowError(location, "DATE/START TIME/END TIME", str(error))
            continue
        start_wall = datetime.combine(day, start_time)
        # END TIME names the last minute (or second) inside the interval: 00:14 ends at 00:15.
        duration_s = _seconds_of_day(end_time) + resolution_s - _seconds_of_day(start_time)
        if duration_s <= 0:
            yield RowError(location, "END TIME", f"{row[columns.end]} is not after START TIME")
            continue
        for flow, index, column in columns.flows:
            yield _reading(
                row[index].strip(),
                flow=flow,
                column=column,
                start_wall=start_wall,
                duration_s=duration_s,
                row_quality=row_quality,
                clock=clock,
                meter_id=meter_id,
                location=location,
            )


def _reading(
    text: str,
    *,
    flow: Flow,
    column: str,
    start_wall: datetime,
    duration_s: int,
    row_quality: quality.Quality,
    clock: WallClock,
    meter_id: str | None,
    location: str,
) -> Item:
    """Return the reading of one flow of a row, or why there is none."""
    try:
        start = clock.to_utc(start_wall, series=flow)
    except (ValueError, OverflowError) as error:
        return RowError(location, "START TIME", str(error) or "date out of range")
    if not text:
        if row_quality is quality.Quality.MISSING:
            return ParsedReading(meter_id, flow, start, duration_s, 0, row_quality, location)
        return RowError(location, column, "empty value", start)
    try:
        wh = energy.text_to_wh(text, power_of_ten=3)
    except energy.EnergyValueError as error:
        return RowError(location, column, str(error), start)
    return ParsedReading(meter_id, flow, start, duration_s, wh, row_quality, location)


def _date(text: str) -> date:
    """Return the date written as YYYY-MM-DD or M/D/YYYY; raise ValueError otherwise."""
    parts = text.strip().split("/")
    try:
        if len(parts) == 3:
            return date(int(parts[2]), int(parts[0]), int(parts[1]))
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text[:20]!r} is not a date (YYYY-MM-DD or M/D/YYYY)") from None


def _clock_time(text: str) -> tuple[time, int]:
    """Return the time written as H:MM or H:MM:SS, and its resolution in seconds."""
    parts = text.strip().split(":")
    try:
        if len(parts) == 2:
            return time(int(parts[0]), int(parts[1])), 60
        if len(parts) == 3:
            return time(int(parts[0]), int(parts[1]), int(parts[2])), 1
    except ValueError:
        pass
    raise ValueError(f"{text[:20]!r} is not a time of day (H:MM or H:MM:SS)")


def _seconds_of_day(moment: time) -> int:
    """Return the seconds since midnight of a time of day."""
    return moment.hour * 3600 + moment.minute * 60 + moment.second
