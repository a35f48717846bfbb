"""Read the utility's bulk enrollment CSV into validated rows, one per channel."""

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Final

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from accounts import channel_kinds
from accounts.models import Channel, Charger, Participant, Program, Site
from accounts.timezones import is_valid_timezone
from settlement.errors import DomainError

COLUMNS: Final = (
    "participant_email",
    "participant_name",
    "participant_kind",
    "program_code",
    "site_account",
    "site_timezone",
    "meter_id",
    "channel_kind",
    "charger_id",
    "charger_max_kw",
    "enrollment_start",
    # Optional, last so that files written before it existed still read (see _check_header).
    "site_max_kw",
)
# The columns of a file from before `site_max_kw`.
LEGACY_COLUMNS: Final = COLUMNS[:-1]
MAX_FILE_BYTES: Final = 50 * 1024 * 1024
# The column is DECIMAL(8, 3); anything this large is a unit mistake (W for kW).
MAX_CHARGER_KW: Final = Decimal(100000)


class EnrollmentFileRejected(DomainError):
    """The file as a whole cannot be read as an enrollment CSV."""

    code = "enrollment_file_rejected"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, details={"field": "file"})
        self.reason = reason


@dataclass(frozen=True)
class EnrollmentRow:
    """One valid line of the file: a channel of a participant's site in a program."""

    line: int
    participant_email: str
    participant_name: str
    participant_kind: str
    program_code: str
    site_account: str
    site_timezone: str
    meter_id: str
    channel_kind: str
    charger_id: str
    charger_max_kw: Decimal | None
    enrollment_start: dt.date
    # The site's service capacity (revenue-meter bound); None keeps the program default.
    site_max_kw: Decimal | None = None


@dataclass(frozen=True)
class RowProblem:
    """A line that was rejected: its number, the field at fault and why."""

    line: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        """Return the problem as the JSON-ready dict used in summaries."""
        return {"line": self.line, "field": self.field, "reason": self.reason}


def read_enrollment_file(stream: BinaryIO) -> Iterator[EnrollmentRow | RowProblem]:
    """Yield a row or a problem for every data line of the file.

    Raises EnrollmentFileRejected when the file is not a UTF-8 CSV with exactly the
    expected header; nothing is yielded in that case.
    """
    raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise EnrollmentFileRejected(f"file is larger than {MAX_FILE_BYTES} bytes")
    if not raw.strip():
        raise EnrollmentFileRejected("file is empty")
    if b"\x00" in raw:
        raise EnrollmentFileRejected("file is binary, not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EnrollmentFileRejected(
            f"file is not UTF-8 text (byte {exc.start} cannot be decoded)"
        ) from exc

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as exc:
        raise EnrollmentFileRejected(f"line 1: not valid CSV ({exc})") from exc
    _check_header(header)
    width = len(header)

    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != width:
                yield RowProblem(line, "*", f"expected {width} cells, found {len(cells)}")
                continue
            # A file without the optional last column reads as if it were empty.
            yield _parse_row(line, cells + [""] * (len(COLUMNS) - width))
    except csv.Error as exc:
        raise EnrollmentFileRejected(f"line {reader.line_num}: not valid CSV ({exc})") from exc


def _check_header(header: list[str]) -> None:
    if header == list(LEGACY_COLUMNS):
        return
    extra = [name for name in header if name not in COLUMNS]
    missing = [name for name in COLUMNS if name not in header]
    if extra or missing or len(header) != len(COLUMNS):
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected columns: {', '.join(extra)}")
        if not parts:
            parts.append("duplicate columns")
        raise EnrollmentFileRejected(
            "line 1: header must be exactly " + ",".join(COLUMNS) + " (" + "; ".join(parts) + ")"
        )
    if header != list(COLUMNS):
        raise EnrollmentFileRejected("line 1: columns must be in the order " + ",".join(COLUMNS))


def _parse_row(line: int, cells: list[str]) -> EnrollmentRow | RowProblem:
    if len(cells) != len(COLUMNS):
        return RowProblem(line, "*", f"expected {len(COLUMNS)} cells, found {len(cells)}")
    values = dict(zip(COLUMNS, (cell.strip() for cell in cells), strict=True))
    values["participant_email"] = values["participant_email"].lower()
    checks = (_check_required, _check_lengths, _check_codes, _check_charger, _check_site_max_kw)
    for check in checks:
        problem = check(values)
        if problem is not None:
            field_name, reason = problem
            return RowProblem(line, field_name, reason)
    try:
        start = dt.date.fromisoformat(values["enrollment_start"])
    except ValueError:
        return RowProblem(
            line,
            "enrollment_start",
            f"{values['enrollment_start']!r} is not an ISO date (YYYY-MM-DD)",
        )
    return EnrollmentRow(
        line=line,
        participant_email=values["participant_email"],
        participant_name=values["participant_name"],
        participant_kind=values["participant_kind"],
        program_code=values["program_code"],
        site_account=values["site_account"],
        site_timezone=values["site_timezone"],
        meter_id=values["meter_id"],
        channel_kind=values["channel_kind"],
        charger_id=values["charger_id"],
        charger_max_kw=Decimal(values["charger_max_kw"]) if values["charger_max_kw"] else None,
        enrollment_start=start,
        site_max_kw=Decimal(values["site_max_kw"]) if values["site_max_kw"] else None,
    )


# Each check returns (field, reason) for the first problem it finds, or None.
Problem = tuple[str, str] | None
OPTIONAL: Final = frozenset({"charger_id", "charger_max_kw", "site_max_kw"})


def _check_required(values: dict[str, str]) -> Problem:
    for name in COLUMNS:
        if name not in OPTIONAL and not values[name]:
            return name, "is required"
    return None


# The column each text cell is stored in, so a cell longer than the column is a row problem
# here rather than a database error that stopped the import (and skipped the rows after it).
def _longest(model: type[models.Model], name: str) -> int:
    """Return the max_length of the text column `name` of `model`."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not a text column with a max_length")
    return int(field.max_length)


LONGEST: Final = {
    "participant_email": _longest(Participant, "email"),
    "participant_name": _longest(Participant, "name"),
    "program_code": _longest(Program, "code"),
    "site_account": _longest(Site, "account_number"),
    "site_timezone": _longest(Site, "timezone"),
    "meter_id": _longest(Channel, "meter_id"),
    "charger_id": _longest(Charger, "external_id"),
}


def _check_lengths(values: dict[str, str]) -> Problem:
    for name, longest in LONGEST.items():
        if len(values[name]) > longest:
            return name, f"has {len(values[name])} characters, more than {longest}"
    return None


def _kw(text: str) -> Decimal | str:
    """Return the kW written in `text`, or the reason it cannot be stored exactly.

    Like the columns it goes to: positive, below MAX_CHARGER_KW, at most 3 decimals. A finer
    value is refused, not rounded (9.99999 was stored as 10.000 without a word).
    """
    # ASCII only: Decimal() also reads Arabic-Indic digits and "1_0".
    if not text.isascii() or "_" in text:
        return f"{text[:40]!r} is not a number"
    try:
        max_kw = Decimal(text)
    except InvalidOperation:
        return f"{text[:40]!r} is not a number"
    if not max_kw.is_finite() or max_kw <= 0:
        return "must be a positive number of kW"
    if max_kw >= MAX_CHARGER_KW:
        return f"is larger than any charger ({MAX_CHARGER_KW} kW)"
    if max_kw != max_kw.quantize(Decimal("0.001")):
        return f"{text[:40]} kW has more than 3 decimals"
    return max_kw


def _check_codes(values: dict[str, str]) -> Problem:
    try:
        validate_email(values["participant_email"])
    except ValidationError:
        return "participant_email", f"{values['participant_email']!r} is not a valid email address"
    kind = values["participant_kind"]
    if kind not in Participant.Kind.values:
        return "participant_kind", f"must be INDIVIDUAL or ORGANIZATION, not {kind!r}"
    if not is_valid_timezone(values["site_timezone"]):
        return "site_timezone", f"{values['site_timezone']!r} is not an IANA time zone"
    if values["channel_kind"] not in Channel.Kind.values:
        allowed = ", ".join(Channel.Kind.values)
        return "channel_kind", f"must be one of {allowed}, not {values['channel_kind']!r}"
    return None


def _check_charger(values: dict[str, str]) -> Problem:
    kind = values["channel_kind"]
    if kind not in channel_kinds.EVSE_KINDS:
        if values["charger_id"] or values["charger_max_kw"]:
            return "charger_id", f"must be empty for a {kind} channel"
        return None
    if not values["charger_id"]:
        return "charger_id", f"is required for a {kind} channel"
    if not values["charger_max_kw"]:
        return "charger_max_kw", f"is required for a {kind} channel"
    max_kw = _kw(values["charger_max_kw"])
    if isinstance(max_kw, str):
        return "charger_max_kw", max_kw
    return None


def _check_site_max_kw(values: dict[str, str]) -> Problem:
    if not values["site_max_kw"]:
        return None
    max_kw = _kw(values["site_max_kw"])
    if isinstance(max_kw, str):
        return "site_max_kw", max_kw
    return None
