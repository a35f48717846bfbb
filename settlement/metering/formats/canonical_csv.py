"""Parse the service's canonical interval CSV: one row per interval, UTC offsets, Wh."""

import csv
import re
from collections.abc import Iterator
from datetime import MAXYEAR, UTC, datetime
from typing import BinaryIO

from settlement.metering.formats import quality as qualities
from settlement.metering.formats import textio
from settlement.metering.formats.base import (
    MAX_ABS_WH,
    FileRejected,
    Flow,
    Item,
    ParsedReading,
    ParseNotes,
    RowError,
)

HEADER = ["meter_id", "start", "end", "export_wh", "import_wh", "quality"]
_COLUMNS = len(HEADER)
# The calendar's edges, written so that no report reads them back as an instant of the row.
FIRST_INSTANT = "0001-01-01 00:00:00 UTC"
LAST_INSTANT = "9999-12-31 23:59:59 UTC"
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")
_YEAR_PAST_9999 = re.compile(r"\+?[0-9]{5,}-")


def parse(
    stream: BinaryIO,
    *,
    timezone: str | None = None,
    meter_id: str | None = None,
    notes: ParseNotes | None = None,
) -> Iterator[Item]:
    """Return readings and row errors of a canonical CSV, one row at a time.

    `timezone` is unused (every timestamp carries its offset). A row's meter_id wins; an
    empty one falls back to `meter_id`; a row naming another meter than a given `meter_id`
    is a RowError. Raises FileRejected for an empty, non-UTF-8 or wrongly headed file.
    """
    notes = notes if notes is not None else ParseNotes()
    notes.meter_id_source = "meter_id column"
    reader = csv.reader(textio.lines(stream), strict=True)
    try:
        header = next(reader)
    except csv.Error as error:
        raise FileRejected(f"line 1 is not valid CSV: {error}", code="malformed") from None
    if header != HEADER:
        raise FileRejected(
            f"the header must be exactly {','.join(HEADER)}; found {','.join(header)[:200]}",
            code="unknown_format",
        )
    return _rows(reader, meter_id=meter_id)


# One flat loop on purpose: this is the 1,000,000-row path and a helper call per check
# per row is measurable.
def _rows(  # noqa: PLR0912, PLR0915
    reader: textio.CsvReader, *, meter_id: str | None
) -> Iterator[Item]:
    """Return the items of the data rows; per-row work is kept minimal (hot path)."""
    previous_text = ""
    previous_instant = datetime.min.replace(tzinfo=UTC)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileRejected(
                f"line {reader.line_num} is not valid CSV: {error}", code="malformed"
            ) from None
        location = f"line {reader.line_num}"
        if len(row) != _COLUMNS:
            if row:  # a blank line carries nothing; a short or long row is a broken row
                yield RowError(location, "row", f"expected {_COLUMNS} columns, got {len(row)}")
            continue
        named_meter, start_text, end_text, export_text, import_text, quality_text = row
        if named_meter and meter_id is not None and named_meter != meter_id:
            yield RowError(
                location, "meter_id", f"row names meter {named_meter!r}, upload is for {meter_id!r}"
            )
            continue
        row_meter = named_meter or meter_id
        # Consecutive rows usually share a boundary: reuse the previous end instead of
        # parsing the same timestamp twice.
        if start_text == previous_text:
            start = previous_instant
        else:
            parsed = _instant(start_text)
            if isinstance(parsed, str):
                yield RowError(location, "start", parsed)
                continue
            start = parsed
        end = _instant(end_text)
        if isinstance(end, str):
            yield RowError(location, "end", end, start)
            continue
        previous_text, previous_instant = end_text, end
        delta = end - start
        duration_s = delta.days * 86400 + delta.seconds
        if duration_s <= 0 or delta.microseconds:
            yield RowError(
                location, "end", f"end {end_text} is not whole seconds after start", start
            )
            continue
        quality = qualities.from_canonical(quality_text)
        if quality is None:
            yield RowError(location, "quality", f"unknown quality {quality_text[:40]!r}", start)
            continue
        if not export_text and not import_text:
            yield RowError(location, "export_wh", "neither export_wh nor import_wh is given", start)
            continue
        export_wh = _wh(export_text) if export_text else None
        import_wh = _wh(import_text) if import_text else None
        if isinstance(export_wh, str):
            yield RowError(location, "export_wh", export_wh, start)
            continue
        if isinstance(import_wh, str):
            yield RowError(location, "import_wh", import_wh, start)
            continue
        if export_wh is not None:
            yield ParsedReading(
                row_meter, Flow.EXPORT, start, duration_s, export_wh, quality, location
            )
        if import_wh is not None:
            yield ParsedReading(
                row_meter, Flow.IMPORT, start, duration_s, import_wh, quality, location
            )


def _instant(text: str) -> datetime | str:
    """Return the aware UTC instant written in `text`, or the reason it is not one."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        if _YEAR_PAST_9999.match(text):
            return f"{text[:40]!r} is after the last instant a reading can have ({LAST_INSTANT})"
        return f"{text[:40]!r} is not an ISO-8601 timestamp"
    if value.tzinfo is None:
        return f"{text[:40]!r} has no UTC offset"
    if value.tzinfo is UTC:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # The offset moves the instant across the edge of the calendar: name that edge.
        edge = LAST_INSTANT if value.year == MAXYEAR else FIRST_INSTANT
        side = "after the last" if value.year == MAXYEAR else "before the first"
        return f"{text[:40]!r} is {side} instant a reading can have ({edge})"


def _wh(text: str) -> int | str:
    """Return the integer Wh written in `text`, or the reason it is not one."""
    if len(text) > 20:
        return f"{text[:20]}... is not a plausible integer Wh value"
    # ASCII digits only: int() also reads "٣" as 3 and "1_000" as 1000, which no meter wrote.
    if not _ASCII_INTEGER.fullmatch(text):
        return f"{text!r} is not an integer number of Wh (ASCII digits)"
    try:
        value = int(text)
    except ValueError:
        return f"{text!r} is not an integer number of Wh"
    if abs(value) > MAX_ABS_WH:
        return f"{value} Wh is beyond the plausible {MAX_ABS_WH} Wh"
    return value
