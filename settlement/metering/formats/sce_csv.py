"""Parse SCE "Download My Data" CSVs: Delivered and Received blocks of local-time rows."""

import csv
import re
from collections.abc import Iterator
from datetime import datetime
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

# SCE pads labels with non-breaking spaces ("Energy\xa0 Delivered"); \s matches them.
_BLOCK = re.compile(r"\s*energy\s+(delivered|received)\s+time\s+period\s*", re.IGNORECASE)
_WALL_TIME = r"\d{4}-\d\d-\d\d[ T]\d\d?:\d\d(?::\d\d)?"
_PERIOD = re.compile(rf"\s*({_WALL_TIME})\s+to\s+({_WALL_TIME})\s*")
_FLOWS = {"delivered": Flow.IMPORT, "received": Flow.EXPORT}
# The preamble (location, meter information, summary text) is a dozen lines or so.
_BLOCK_SEARCH_LINES = 60


def parse(
    stream: BinaryIO,
    *,
    timezone: str | None = None,
    meter_id: str | None = None,
    notes: ParseNotes | None = None,
) -> Iterator[Item]:
    """Return readings and row errors of an SCE usage CSV.

    Rows under "Energy Delivered time period" are IMPORT, under "Energy Received time
    period" EXPORT; values are kWh. The file names no meter in the service's terms, so
    every reading carries `meter_id`. Raises FileRejected, before anything is yielded,
    without `timezone` or when no Delivered/Received block starts the data.
    """
    notes = notes if notes is not None else ParseNotes()
    notes.meter_id_source = "caller" if meter_id is not None else None
    clock = WallClock(timezone=timezone, file_kind="SCE usage CSV", notes=notes)
    reader = csv.reader(textio.lines(stream), strict=True)
    flow = _first_block(reader)
    return _rows(reader, flow=flow, clock=clock, meter_id=meter_id)


def _first_block(reader: textio.CsvReader) -> Flow:
    """Return the flow of the first block, reading through the preamble."""
    for row in textio.csv_rows(reader):
        first = row[0] if row else ""
        block = _BLOCK.fullmatch(first)
        if block:
            return _FLOWS[block.group(1).lower()]
        if _PERIOD.fullmatch(first):
            raise FileRejected(
                f"line {reader.line_num} holds a reading before any 'Energy Delivered' or "
                "'Energy Received' block header",
                code="malformed",
            )
        if reader.line_num >= _BLOCK_SEARCH_LINES:
            break
    raise FileRejected(
        "no 'Energy Delivered time period' or 'Energy Received time period' block in the "
        f"first {_BLOCK_SEARCH_LINES} lines",
        code="unknown_format",
    )


def _rows(
    reader: textio.CsvReader, *, flow: Flow, clock: WallClock, meter_id: str | None
) -> Iterator[Item]:
    """Return the items of every block, switching flow at each block header."""
    for row in textio.csv_rows(reader):
        first = row[0] if row else ""
        block = _BLOCK.fullmatch(first)
        if block:
            flow = _FLOWS[block.group(1).lower()]
            continue
        period = _PERIOD.fullmatch(first)
        location = f"line {reader.line_num}"
        if period is None:
            # Blank separators and "Data for period starting" lines carry no reading; a
            # line that starts like a date but does not parse is a broken reading.
            if first.strip()[:1].isdigit():
                yield RowError(location, "time period", f"{first[:60]!r} is not 'start to end'")
            continue
        yield _reading(
            row,
            flow=flow,
            start_text=period.group(1),
            end_text=period.group(2),
            clock=clock,
            meter_id=meter_id,
            location=location,
        )


def _reading(
    row: list[str],
    *,
    flow: Flow,
    start_text: str,
    end_text: str,
    clock: WallClock,
    meter_id: str | None,
    location: str,
) -> Item:
    """Return the reading of one data row, or why there is none."""
    if len(row) < 2 or any(cell.strip() for cell in row[3:]):
        return RowError(location, "row", f"expected period,value[,quality]; got {row!r}"[:160])
    quality_text = row[2] if len(row) > 2 else ""
    row_quality = quality.from_utility_text(quality_text)
    if row_quality is None:
        return RowError(location, "Reading quality", f"unknown quality {quality_text[:40]!r}")
    try:
        start_wall = datetime.fromisoformat(start_text)
        end_wall = datetime.fromisoformat(end_text)
        start = clock.to_utc(start_wall, series=flow)
        duration_s = clock.span_s(start_wall, end_wall, start_utc=start)
    except (ValueError, OverflowError) as error:
        return RowError(location, "time period", str(error) or "date out of range")
    if duration_s <= 0:
        return RowError(location, "time period", f"{end_text} is not after {start_text}", start)
    wh = _wh(row[1].strip(), row_quality=row_quality)
    if isinstance(wh, str):
        return RowError(location, "value", wh, start)
    return ParsedReading(meter_id, flow, start, duration_s, wh, row_quality, location)


def _wh(text: str, *, row_quality: quality.Quality) -> int | str:
    """Return the Wh of a kWh value (0 for an empty MISSING one), or why there is none."""
    if not text:
        return 0 if row_quality is quality.Quality.MISSING else "empty value"
    try:
        return energy.text_to_wh(text, power_of_ten=3)
    except energy.EnergyValueError as error:
        return str(error)
