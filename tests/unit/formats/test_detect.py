"""Tests for format detection from a file's first bytes, and parsing through it."""

from pathlib import Path

import pytest

from settlement.metering.formats import detect
from settlement.metering.formats.base import FileRejected

FIXTURES = Path(__file__).parents[2] / "fixtures"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("samples/greenbutton/gba_hourly_nine_days.xml", "espi-xml"),
        ("samples/greenbutton/gba_abridged_containerized.xml", "espi-xml"),
        ("meter_data/espi_export_default_ns_no_timeperiod.xml", "espi-xml"),
        ("samples/sce/sce_green_button_usage_15min.csv", "sce-csv"),
        ("meter_data/sce_fall_back_2024-11-03.csv", "sce-csv"),
        ("meter_data/pge_fall_back_2024-11-03.csv", "pge-csv"),
        ("meter_data/pge_usage_only.csv", "pge-csv"),
        ("meter_data/canonical_small.csv", "canonical-csv"),
        ("meter_data/ocpp16_export_register_reset.json", "ocpp"),
        ("meter_data/ocpp201_kwh_multiplier.json", "ocpp"),
    ],
)
def test_each_format_is_detected_from_its_head(path, expected):
    head = (FIXTURES / path).read_bytes()[: detect.HEAD_BYTES]

    assert detect.detect_format(head) == expected
    assert expected in detect.FORMATS


def test_a_billing_history_gets_its_own_message():
    head = (FIXTURES / "meter_data/pge_billing_history.csv").read_bytes()

    with pytest.raises(FileRejected) as rejected:
        detect.detect_format(head)

    assert rejected.value.code == "billing_history"
    assert "billing-history export, not interval data" in rejected.value.reason


@pytest.mark.parametrize(
    ("path", "seen"),
    [
        ("samples/pge/pge_nbt24_export_rates_2025.csv", "'RIN,RateName,DateStart"),
        ("samples/sce/sce_export_credit_table_2024.csv", "'Price Effective Date,Month"),
    ],
)
def test_a_tariff_file_is_not_meter_data_and_the_message_names_what_was_seen(path, seen):
    head = (FIXTURES / path).read_bytes()[: detect.HEAD_BYTES]

    with pytest.raises(FileRejected) as rejected:
        detect.detect_format(head)

    assert rejected.value.code == "unknown_format"
    assert seen in rejected.value.reason


@pytest.mark.parametrize(
    ("head", "code"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("meter_id,start".encode("utf-16"), "encoding"),
        (b"Name,Jos\xe9\nTYPE,DATE,START TIME,END TIME", "encoding"),
        (b"<html><body>hello</body></html>", "unknown_format"),
        (b'{"hello": "world"}', "unknown_format"),
    ],
)
def test_unusable_heads_are_rejected_with_a_code(head, code):
    with pytest.raises(FileRejected) as rejected:
        detect.detect_format(head)

    assert rejected.value.code == code


def test_a_multibyte_character_cut_by_the_head_is_not_an_encoding_error():
    head = "meter_id,start,end,export_wh,import_wh,quality\nM-é".encode()[:-1]

    assert detect.detect_format(head) == "canonical-csv"


def test_sniff_names_the_format_and_leaves_the_file_where_it_was():
    with (FIXTURES / "samples/sce/sce_green_button_usage_15min.csv").open("rb") as stream:
        name = detect.sniff(stream)
        first = stream.read(20)

    assert name == "sce-csv"
    assert first == (FIXTURES / "samples/sce/sce_green_button_usage_15min.csv").read_bytes()[:20]
