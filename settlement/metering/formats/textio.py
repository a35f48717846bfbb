"""Return decoded, length-bounded text lines from a binary upload; reject non-UTF-8 files."""

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from settlement.metering.formats.base import FileRejected

# A meter CSV line is well under 1 KB; a longer one means a binary or hostile file, and the
# bound keeps memory constant whatever the file holds.
MAX_LINE_CHARS = 1 << 20


class CsvReader(Protocol):
    """What a `csv.reader` offers (its class is not importable for annotations)."""

    line_num: int

    def __iter__(self) -> "CsvReader": ...

    def __next__(self) -> list[str]: ...


def lines(stream: BinaryIO, *, max_line_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """Return the file's lines (UTF-8, an optional BOM dropped, line endings kept).

    Raises FileRejected for an empty file, a non-UTF-8 or binary file, or an overlong line.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    number = 0
    try:
        while True:
            try:
                line = text.readline(max_line_chars)
            except UnicodeDecodeError as error:
                raise _not_utf8(error, line_number=number + 1) from None
            if not line:
                break
            number += 1
            if "\x00" in line:
                raise FileRejected(
                    f"line {number} holds NUL bytes: the file is binary or UTF-16, not UTF-8 text",
                    code="binary",
                )
            if len(line) >= max_line_chars and not line.endswith("\n"):
                raise FileRejected(
                    f"line {number} is longer than {max_line_chars} characters",
                    code="too_large",
                )
            yield line
        if number == 0:
            raise FileRejected("the file is empty (0 bytes)", code="empty")
    finally:
        # Hand the caller's stream back open: a wrapper closes its buffer when collected.
        # (A caller may already have closed it before abandoning this generator.)
        if not stream.closed:
            text.detach()


def _not_utf8(error: UnicodeDecodeError, *, line_number: int) -> FileRejected:
    """Return the rejection for bytes that are not UTF-8, naming the likely encoding."""
    if error.object[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return FileRejected(
            "the file is UTF-16 text; save it as UTF-8 and upload again", code="encoding"
        )
    bad = error.object[error.start : error.start + 1].hex().upper()
    return FileRejected(
        f"the file is not UTF-8 text (byte 0x{bad} near line {line_number}); "
        "save it as UTF-8 and upload again",
        code="encoding",
    )


def csv_rows(reader: CsvReader) -> Iterator[list[str]]:
    """Return the reader's rows, turning a CSV syntax error into a file rejection."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileRejected(
                f"line {reader.line_num} is not valid CSV: {error}", code="malformed"
            ) from None
