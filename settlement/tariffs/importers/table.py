"""Open a CSV price table: UTF-8 text whose first line must be exactly the expected header."""

import csv
import io
from collections.abc import Iterator

from settlement.tariffs.importers.errors import TariffFileError


def text_of(data: bytes | str) -> str:
    """Return the file as text (UTF-8, an optional BOM dropped); raise TariffFileError if not."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TariffFileError(f"file: not UTF-8 text ({error})") from error


class Table:
    """The data lines of a CSV price table, each with its line number in the file."""

    def __init__(self, data: bytes | str, *, header: tuple[str, ...]) -> None:
        self._reader = csv.reader(io.StringIO(text_of(data), newline=""))
        found = tuple(field.strip() for field in next(self._reader, []))
        if found != header:
            raise TariffFileError(
                f"line 1: header {', '.join(found) or '(empty)'} is not {', '.join(header)}"
            )

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for fields in self._reader:
            yield self._reader.line_num, fields
