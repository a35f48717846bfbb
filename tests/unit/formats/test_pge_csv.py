"""Tests for the PG&E interval CSV parser, its DST handling and its refusals."""

import io
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from settlement.metering.formats import pge_csv
from settlement.metering.formats.base import FileRejected, Flow, ParseNotes, RowError
from settlement.metering.formats.localtime import FALL_BACK_RULE
from settlement.metering.formats.quality import Quality

METER_DATA = Path(__file__).parents[2] / "fixtures" / "meter_data"
PACIFIC = "America/Los_Angeles"
HEADER = "TYPE,DATE,START TIME,END TIME,IMPORT (kWh),EXPORT (kWh),COST,NOTES\n"


def parse_file(name, **options):
    with (METER_DATA / name).open("rb") as stream:
        return list(pge_csv.parse(stream, **options))


def parse_text(text, **options):
    return list(pge_csv.parse(io.BytesIO(text.encode()), **options))


def assert_contiguous(readings):
    starts = [reading.start for reading in readings]
    assert all(later > earlier for earlier, later in itertools.pairwise(starts))
    for earlier, later in itertools.pairwise(readings):
        assert earlier.start + timedelta(seconds=earlier.duration_s) == later.start


def test_spring_forward_day_has_92_quarter_hours_without_a_gap():
    items = parse_file("pge_spring_forward_2024-03-10.csv", timezone=PACIFIC, meter_id="M")

    for flow in (Flow.IMPORT, Flow.EXPORT):
        readings = [item for item in items if item.flow is flow]
        # 24 h - 1 skipped hour = 23 h = 92 quarter-hours, 00:00 PST = 08:00 UTC.
        assert len(readings) == 92
        assert readings[0].start == datetime(2024, 3, 10, 8, tzinfo=UTC)
        # 01:45 PST = 09:45 UTC is followed by 03:00 PDT = 10:00 UTC.
        assert readings[7].start == datetime(2024, 3, 10, 9, 45, tzinfo=UTC)
        assert readings[8].start == datetime(2024, 3, 10, 10, tzinfo=UTC)
        assert readings[-1].start == datetime(2024, 3, 11, 6, 45, tzinfo=UTC)
        assert_contiguous(readings)


def test_fall_back_day_has_100_quarter_hours_first_daylight_then_standard():
    notes = ParseNotes()
    items = parse_file("pge_fall_back_2024-11-03.csv", timezone=PACIFIC, notes=notes)

    for flow in (Flow.IMPORT, Flow.EXPORT):
        readings = [item for item in items if item.flow is flow]
        assert len(readings) == 100
        # Lines 11-14 are the first 01:00-01:45 (PDT, UTC-7); lines 15-18 repeat it (PST).
        assert readings[4].start == datetime(2024, 11, 3, 8, tzinfo=UTC)
        assert readings[4].source == "line 11"
        assert readings[8].start == datetime(2024, 11, 3, 9, tzinfo=UTC)
        assert readings[8].source == "line 15"
        assert_contiguous(readings)
    assert notes.fall_back_rule == FALL_BACK_RULE
    # 8 ambiguous rows (01:00-01:45 twice) x 2 flows.
    assert notes.fall_back_readings == 16


def test_fall_back_day_energy_is_exact():
    items = parse_file("pge_fall_back_2024-11-03.csv", timezone=PACIFIC)

    # Import: 100 rows x 0.25 kWh = 25,000 Wh. Export: 1.20 kWh in the 12 quarter-hours of
    # 17:00-19:45, 0.00 otherwise: 12 x 1,200 = 14,400 Wh.
    assert sum(item.wh for item in items if item.flow is Flow.IMPORT) == 25_000
    assert sum(item.wh for item in items if item.flow is Flow.EXPORT) == 14_400


def test_usage_only_variant_is_import_rounded_half_even():
    items = parse_file("pge_usage_only.csv", timezone=PACIFIC)

    # 1.234 kWh = 1234 Wh; 0.9995 kWh = 999.5 Wh -> 1000 (even); 0.0005 kWh = 0.5 Wh -> 0.
    assert [(item.flow, item.wh, item.duration_s) for item in items] == [
        (Flow.IMPORT, 1234, 3600),
        (Flow.IMPORT, 1000, 3600),
        (Flow.IMPORT, 0, 3600),
    ]
    assert items[1].quality is Quality.ESTIMATED


def test_a_billing_history_export_is_rejected_with_advice():
    with pytest.raises(FileRejected) as rejected:
        parse_file("pge_billing_history.csv", timezone=PACIFIC)

    assert rejected.value.code == "billing_history"
    assert rejected.value.reason == (
        "this is a billing-history export, not interval data; download the interval usage file"
    )


def test_a_local_time_file_without_a_timezone_is_rejected_before_reading():
    with pytest.raises(FileRejected) as rejected:
        pge_csv.parse(io.BytesIO(b"never read"))

    assert rejected.value.code == "timezone_required"


def test_an_unknown_timezone_is_rejected():
    with pytest.raises(FileRejected) as rejected:
        pge_csv.parse(io.BytesIO(b""), timezone="Pacific/Nowhere")

    assert rejected.value.code == "bad_timezone"


def test_a_wall_time_in_the_spring_forward_gap_is_a_row_error():
    items = parse_text(
        HEADER + "Electric usage,2024-03-10,02:15,02:29,0.25,0.00,$0.08,\n", timezone=PACIFIC
    )

    assert items[0] == RowError(
        "line 2",
        "START TIME",
        "2024-03-10 02:15 does not exist in America/Los_Angeles (clocks spring forward over it)",
    )


def test_a_fall_back_wall_time_appearing_a_third_time_is_a_row_error():
    row = "Electric usage,2024-11-03,01:00,01:14,0.25,,$0.08,\n"
    items = parse_text(HEADER + row * 3, timezone=PACIFIC)

    assert [type(item).__name__ for item in items[::2]] == ["ParsedReading"] * 2 + ["RowError"]
    assert "appears a third time" in items[4].reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NaN", "'NaN' is not a finite number"),
        ("Infinity", "'Infinity' is not a finite number"),
        ("1e30", "1E+30E3 Wh is beyond the plausible 1000000000000000 Wh"),
        ("abc", "'abc' is not a number"),
        ("", "empty value"),
    ],
)
def test_implausible_values_are_row_errors(value, reason):
    items = parse_text(
        HEADER + f"Electric usage,2024-05-22,00:00,00:14,{value},0.1,$0.08,\n", timezone=PACIFIC
    )

    # 00:00 PDT (UTC-7) on 2024-05-22 is 07:00 UTC: the interval's start, read first.
    assert items[0] == RowError(
        "line 2", "IMPORT (kWh)", reason, datetime(2024, 5, 22, 7, tzinfo=UTC)
    )
    assert items[1].wh == 100


def test_an_end_time_before_the_start_is_a_row_error():
    items = parse_text(
        HEADER + "Electric usage,2024-05-22,00:15,00:00,0.25,0.1,$0.08,\n", timezone=PACIFIC
    )

    assert items == [RowError("line 2", "END TIME", "00:00 is not after START TIME")]


def test_year_9999_end_of_year_is_a_row_error_not_a_crash():
    items = parse_text(
        HEADER + "Electric usage,9999-12-31,23:45,23:59,0.25,,$0.08,\n", timezone=PACIFIC
    )

    assert isinstance(items[0], RowError)
    assert items[0].field == "START TIME"
