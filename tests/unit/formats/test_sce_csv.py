"""Tests for the SCE usage CSV parser: the real sample, export blocks and DST days."""

import io
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from settlement.metering.formats import sce_csv
from settlement.metering.formats.base import FileRejected, Flow, ParseNotes, RowError

SAMPLE = Path(__file__).parents[2] / "fixtures" / "samples" / "sce"
METER_DATA = Path(__file__).parents[2] / "fixtures" / "meter_data"
PACIFIC = "America/Los_Angeles"
BLOCK = "Energy\xa0 Received time period,Usage\xa0 Received(Real energy in kilowatt-hours),Reading quality\r\n"


def parse_path(path, **options):
    with path.open("rb") as stream:
        return list(sce_csv.parse(stream, **options))


def parse_text(text, **options):
    return list(sce_csv.parse(io.BytesIO(text.encode()), **options))


def by_flow(items, flow):
    return [item for item in items if item.flow is flow]


def assert_contiguous(readings):
    for earlier, later in itertools.pairwise(readings):
        assert earlier.start + timedelta(seconds=earlier.duration_s) == later.start


def test_real_sample_delivered_block_sums_to_the_hand_counted_wh():
    items = parse_path(SAMPLE / "sce_green_button_usage_15min.csv", timezone=PACIFIC)
    delivered = by_flow(items, Flow.IMPORT)

    # 96 rows: 0.01 x4, 0.02 x16, 0.03 x44, 0.04 x31, 0.07 x1 (kWh)
    # = 40 + 320 + 1,320 + 1,240 + 70 = 2,990 Wh.
    assert len(delivered) == 96
    assert sum(item.wh for item in delivered) == 2990
    # 2024-05-22 00:00 PDT = 07:00 UTC; the BOM before the preamble is ignored.
    assert delivered[0].start == datetime(2024, 5, 22, 7, tzinfo=UTC)
    assert delivered[0].source == "line 15"
    assert_contiguous(delivered)


def test_real_sample_received_block_is_export():
    items = parse_path(SAMPLE / "sce_green_button_usage_15min.csv", timezone=PACIFIC)
    received = by_flow(items, Flow.EXPORT)

    # 96 rows: 0.01 kWh x34, 0 x62 = 340 Wh.
    assert len(received) == 96
    assert sum(item.wh for item in received) == 340
    assert len(items) == 192


def test_spring_forward_day_has_92_readings_per_flow():
    items = parse_path(METER_DATA / "sce_spring_forward_2024-03-10.csv", timezone=PACIFIC)

    for flow in (Flow.IMPORT, Flow.EXPORT):
        readings = by_flow(items, flow)
        assert len(readings) == 92
        # "01:45:00 to 03:00:00" is 15 real minutes: 09:45 to 10:00 UTC.
        assert (readings[7].start, readings[7].duration_s) == (
            datetime(2024, 3, 10, 9, 45, tzinfo=UTC),
            900,
        )
        assert_contiguous(readings)
    # 92 x 0.25 kWh = 23,000 Wh; export 12 x 1.20 kWh = 14,400 Wh.
    assert sum(item.wh for item in by_flow(items, Flow.IMPORT)) == 23_000
    assert sum(item.wh for item in by_flow(items, Flow.EXPORT)) == 14_400


def test_fall_back_day_has_100_readings_per_flow_in_order_of_appearance():
    notes = ParseNotes()
    items = parse_path(METER_DATA / "sce_fall_back_2024-11-03.csv", timezone=PACIFIC, notes=notes)

    for flow in (Flow.IMPORT, Flow.EXPORT):
        readings = by_flow(items, flow)
        assert len(readings) == 100
        assert readings[4].start == datetime(2024, 11, 3, 8, tzinfo=UTC)  # 01:00 PDT
        assert readings[8].start == datetime(2024, 11, 3, 9, tzinfo=UTC)  # 01:00 PST
        # "01:45:00 to 01:00:00" closes the daylight run: 15 minutes, not minus 45.
        assert readings[7].duration_s == 900
        assert_contiguous(readings)
    assert notes.fall_back_readings == 16
    assert notes.fall_back_rule is not None


def test_nominal_boundary_labels_read_as_quarter_hours():
    text = (
        BLOCK
        + "2024-11-03 01:45:00 to 2024-11-03 02:00:00,0.10,\r\n"
        + "2024-11-03 01:45:00 to 2024-11-03 02:00:00,0.20,\r\n"
        + "2024-03-10 01:45:00 to 2024-03-10 02:00:00,0.30,\r\n"
    )

    items = parse_text(text, timezone=PACIFIC)

    assert [(item.start, item.duration_s, item.wh) for item in items] == [
        (datetime(2024, 11, 3, 8, 45, tzinfo=UTC), 900, 100),
        (datetime(2024, 11, 3, 9, 45, tzinfo=UTC), 900, 200),
        (datetime(2024, 3, 10, 9, 45, tzinfo=UTC), 900, 300),
    ]


def test_an_extra_column_and_an_unknown_quality_are_row_errors():
    text = (
        BLOCK
        + "2024-05-22 00:00:00 to 2024-05-22 00:15:00,0.10,,surprise\r\n"
        + "2024-05-22 00:15:00 to 2024-05-22 00:30:00,0.10,Guessed\r\n"
        + "2024-05-22 00:30:00 to 2024-05-22 00:45:00,,Missing\r\n"
    )

    items = parse_text(text, timezone=PACIFIC)

    assert [type(item).__name__ for item in items] == ["RowError", "RowError", "ParsedReading"]
    assert items[0].field == "row"
    assert items[1] == RowError("line 3", "Reading quality", "unknown quality 'Guessed'")
    assert (items[2].wh, items[2].quality.value) == (0, "MISSING")


def test_a_garbled_period_is_a_row_error():
    items = parse_text(BLOCK + "2024-05-22 0O:00 to later,0.10,\r\n", timezone=PACIFIC)

    assert [(item.location, item.field) for item in items] == [("line 2", "time period")]


def test_a_file_without_blocks_is_rejected():
    with pytest.raises(FileRejected) as rejected:
        parse_text("Energy Usage Information,,\r\n,,\r\n", timezone=PACIFIC)

    assert rejected.value.code == "unknown_format"
