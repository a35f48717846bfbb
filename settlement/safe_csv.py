"""The one CSV writer of the service: cells a spreadsheet would run as formulas are neutralised.

Every CSV the service writes (upload reports, statement and payout exports) goes through
`writer`. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's
list for CSV injection) is written with a leading apostrophe, which spreadsheets show as
text and never evaluate. Numbers keep their sign: `-5` and `+1.25` are data, not formulas.
"""

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

# Characters a spreadsheet reads as the start of a formula (or that hide one after them).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, optionally signed and with an exponent: never a formula.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class _Sink(Protocol):
    def write(self, value: str, /) -> Any: ...


def neutralise(value: object) -> str:
    """Return the cell text for `value`, prefixed with an apostrophe if it could be a formula.

    None becomes an empty cell; numbers (int, Decimal, or text such as "-5") are unchanged.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS) and _NUMBER.fullmatch(text) is None:
        return "'" + text
    return text


class SafeWriter:
    """A `csv.writer` whose every cell passes through `neutralise` first."""

    def __init__(self, stream: _Sink, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        """Write one row; return what the stream's `write` returned (as `csv.writer` does)."""
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)


def writer(stream: _Sink, **options: Any) -> SafeWriter:
    """Return a formula-safe writer on `stream`; `options` are `csv.writer`'s (dialect, ...)."""
    return SafeWriter(stream, **options)
