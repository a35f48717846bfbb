"""Return types shared by every meter data parser: readings, row errors, file rejection."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import BinaryIO, NamedTuple, Protocol

from settlement.metering.formats.quality import Quality

# No meter interval comes near 1 TWh; anything larger is a corrupt or hostile value, and
# the bound keeps every yielded value inside a 64-bit database integer.
MAX_ABS_WH = 10**15
# What a channel's meter id can be (the column's max_length).
MAX_METER_ID_CHARS = 64


class Flow(StrEnum):
    """Direction of energy at the meter, from the grid's point of view."""

    EXPORT = "EXPORT"  # received by the grid: ESPI 19, SCE "Received", OCPP *.Export.*
    IMPORT = "IMPORT"  # delivered to the customer: ESPI 1, SCE "Delivered", OCPP *.Import.*
    NET = "NET"  # ESPI 4: import minus export, may be negative
    TOTAL = "TOTAL"  # ESPI 20: import plus export


# A named tuple rather than a frozen dataclass: parsers build one per reading on the
# million-row path, and a tuple is several times cheaper to construct. Still immutable.
class ParsedReading(NamedTuple):
    """One interval of energy on one flow, as the file states it (not yet validated)."""

    meter_id: str | None
    flow: Flow
    start: datetime
    duration_s: int
    wh: int
    quality: Quality
    source: str


@dataclass(frozen=True, slots=True)
class RowError:
    """A part of the file that could not become a reading; parsing continued after it.

    `start` is the interval's start (aware UTC) when the parser had read it before the
    error, else None (a broken row, an unreadable time).
    """

    location: str
    field: str
    reason: str
    start: datetime | None = None


Item = ParsedReading | RowError


@dataclass(slots=True)
class ParseNotes:
    """Facts about how a file was read, filled in by parse() while the caller iterates.

    Pass one as `notes=` to keep them (the ingest report stores them); read it after the
    iterator is exhausted.
    """

    meter_id_source: str | None = None
    fall_back_rule: str | None = None
    fall_back_readings: int = 0
    ignored: Counter[str] = field(default_factory=Counter)


class FileRejected(Exception):
    """The file as a whole is unusable; nothing parsed from it may be committed.

    `code` is stable for programs (empty, binary, encoding, unknown_format, billing_history,
    malformed, xml_forbidden, no_readings, timezone_required, bad_timezone, too_large);
    `reason` is a sentence for the person who uploaded the file.
    """

    def __init__(self, reason: str, *, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Parser(Protocol):
    """The signature every format module's `parse` has."""

    def __call__(
        self,
        stream: BinaryIO,
        *,
        timezone: str | None = None,
        meter_id: str | None = None,
        notes: ParseNotes | None = None,
    ) -> Iterator[Item]: ...
