"""Tests that hostile or broken files end in a clear rejection or row error, never a hang."""

import io
import os
from pathlib import Path

import pytest

from settlement.metering.formats import canonical_csv, detect, espi_xml, ocpp, pge_csv, sce_csv
from settlement.metering.formats.base import FileRejected, RowError

FIXTURES = Path(__file__).parents[2] / "fixtures"
PACIFIC = "America/Los_Angeles"
PARSERS = {
    "espi-xml": espi_xml.parse,
    "pge-csv": pge_csv.parse,
    "sce-csv": sce_csv.parse,
    "canonical-csv": canonical_csv.parse,
    "ocpp": ocpp.parse,
}

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title></feed>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&secret;</title></feed>
"""


def rejection(parser, data, **options):
    with pytest.raises(FileRejected) as rejected:
        list(parser(io.BytesIO(data), **options))
    return rejected.value


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_declarations_are_refused_before_any_expansion(document):
    refused = rejection(espi_xml.parse, document)

    assert refused.code == "xml_forbidden"
    assert "DTD or entities" in refused.reason


def test_truncated_xml_is_rejected_before_anything_is_yielded():
    data = (FIXTURES / "samples/greenbutton/gba_hourly_nine_days.xml").read_bytes()

    refused = rejection(espi_xml.parse, data[: len(data) // 2])

    assert refused.code == "malformed"
    assert "malformed or truncated" in refused.reason


def test_latin_1_bytes_in_an_xml_declared_utf_8_are_rejected():
    data = (FIXTURES / "meter_data/espi_export_prefixed.xml").read_bytes()

    refused = rejection(espi_xml.parse, data.replace(b"Garage", b"Gar\xe7age"))

    assert refused.code == "malformed"


def test_a_utf_16_xml_feed_is_read_as_the_same_feed():
    # XML names its own encoding; expat decodes UTF-16 with a BOM correctly.
    text = (FIXTURES / "meter_data/espi_export_default_ns_no_timeperiod.xml").read_text()
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    items = list(espi_xml.parse(io.BytesIO(data)))

    assert [item.wh for item in items] == [1234, 1236, 2000, 1]


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_a_zero_byte_file_is_rejected_by_every_parser(name):
    refused = rejection(PARSERS[name], b"", timezone=PACIFIC)

    assert refused.code in {"empty", "malformed", "no_readings"}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_a_random_binary_file_is_rejected_by_every_parser(name):
    data = bytes(range(256)) * 16 + os.urandom(4096)

    refused = rejection(PARSERS[name], data, timezone=PACIFIC)

    assert refused.code in {"binary", "encoding", "malformed", "unknown_format"}


@pytest.mark.parametrize("name", ["pge-csv", "sce-csv", "canonical-csv", "ocpp"])
def test_utf_16_text_is_rejected_by_text_parsers(name):
    data = (FIXTURES / "meter_data/canonical_small.csv").read_text().encode("utf-16")

    refused = rejection(PARSERS[name], data, timezone=PACIFIC)

    assert refused.code in {"encoding", "binary"}


def test_latin_1_bytes_in_a_csv_value_reject_the_file():
    data = (FIXTURES / "meter_data/pge_usage_only.csv").read_bytes()

    refused = rejection(pge_csv.parse, data.replace(b"JANE", b"JOS\xc9"), timezone=PACIFIC)

    assert refused.code == "encoding"
    assert "not UTF-8" in refused.reason


def test_a_csv_truncated_mid_row_reports_the_broken_row():
    data = (FIXTURES / "meter_data/canonical_small.csv").read_bytes()

    items = list(canonical_csv.parse(io.BytesIO(data[:-20])))

    assert items[-1] == RowError("line 5", "row", "expected 6 columns, got 3")


def test_a_csv_truncated_inside_a_quoted_field_is_rejected():
    data = b'meter_id,start,end,export_wh,import_wh,quality\n"M,2024-05-22T17:00:00+00:00'

    refused = rejection(canonical_csv.parse, data)

    assert refused.code == "malformed"


def test_an_overlong_line_is_rejected_without_reading_it_whole():
    data = b"meter_id,start,end,export_wh,import_wh,quality\n" + b"9" * (3 << 20)

    refused = rejection(canonical_csv.parse, data)

    assert refused.code == "too_large"


def test_a_reading_with_a_huge_or_negative_period_is_a_row_error():
    text = (FIXTURES / "meter_data/espi_export_prefixed.xml").read_text()
    hostile = text.replace(
        "<espi:duration>900</espi:duration><espi:start>1716336900</espi:start>",
        "<espi:duration>-900</espi:duration><espi:start>1716336900</espi:start>",
    ).replace("<espi:start>1716337800</espi:start>", f"<espi:start>{'9' * 400}</espi:start>")

    items = list(espi_xml.parse(io.BytesIO(hostile.encode())))
    errors = [item for item in items if isinstance(item, RowError)]

    assert [(item.location, item.field) for item in errors] == [
        ("entry 5 IntervalBlock 1 reading 2", "timePeriod"),
        ("entry 5 IntervalBlock 1 reading 3", "timePeriod"),
        ("entry 6 IntervalBlock 1 reading 2", "timePeriod"),
        ("entry 6 IntervalBlock 1 reading 3", "timePeriod"),
    ]
    assert "duration -900 is not positive" in errors[0].reason
    assert "out of range" in errors[1].reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1" + "0" * 30, "beyond the plausible"),
        ("1" + "0" * 400, "beyond the plausible"),
        ("NaN", "not a finite number"),
        ("-Infinity", "not a finite number"),
        ("1e999999999", "beyond the plausible"),
    ],
)
def test_huge_and_non_finite_espi_values_are_row_errors(value, reason):
    text = (FIXTURES / "meter_data/espi_export_prefixed.xml").read_text()
    hostile = text.replace("<espi:value>1200</espi:value>", f"<espi:value>{value}</espi:value>")

    items = list(espi_xml.parse(io.BytesIO(hostile.encode())))

    assert items[0].field == "value"
    assert reason in items[0].reason
    assert len(items) == 8


def test_detect_rejects_the_hostile_files_it_cannot_place():
    with pytest.raises(FileRejected):
        detect.detect_format(os.urandom(64) + b"\x00")
