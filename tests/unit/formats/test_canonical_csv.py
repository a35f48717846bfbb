"""Tests for the canonical CSV parser: exact rows, row errors, constant memory."""

import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from settlement.metering.formats import canonical_csv
from settlement.metering.formats.base import FileRejected, Flow, ParsedReading, RowError
from settlement.metering.formats.quality import Quality

METER_DATA = Path(__file__).parents[2] / "fixtures" / "meter_data"
HEADER = "meter_id,start,end,export_wh,import_wh,quality\n"


def parse_text(text, **options):
    return list(canonical_csv.parse(io.BytesIO(text.encode()), **options))


def test_small_file_gives_one_reading_per_filled_cell():
    with (METER_DATA / "canonical_small.csv").open("rb") as stream:
        items = list(canonical_csv.parse(stream))

    # Row 2: export+import, row 3: export only, row 4: import only, row 5: both = 6.
    assert [(item.flow, item.wh, item.quality, item.source) for item in items] == [
        (Flow.EXPORT, 2500, Quality.ACTUAL, "line 2"),
        (Flow.IMPORT, 0, Quality.ACTUAL, "line 2"),
        (Flow.EXPORT, 2600, Quality.ESTIMATED, "line 3"),
        (Flow.IMPORT, 120, Quality.ACTUAL, "line 4"),
        (Flow.EXPORT, 2450, Quality.EDITED, "line 5"),
        (Flow.IMPORT, 5, Quality.EDITED, "line 5"),
    ]
    # 10:30-07:00 is 17:30 UTC; Z is UTC too.
    assert items[3].start == datetime(2024, 5, 22, 17, 30, tzinfo=UTC)
    assert items[4].start == datetime(2024, 5, 22, 17, 45, tzinfo=UTC)
    assert {item.duration_s for item in items} == {900}
    assert {item.meter_id for item in items} == {"SITE-7"}


def test_a_naive_timestamp_is_a_row_error_naming_the_field():
    items = parse_text(HEADER + "M,2024-05-22T17:00:00,2024-05-22T17:15:00+00:00,1,2,\n")

    assert items == [RowError("line 2", "start", "'2024-05-22T17:00:00' has no UTC offset")]


def test_an_end_not_after_start_is_a_row_error():
    items = parse_text(HEADER + "M,2024-05-22T17:15:00+00:00,2024-05-22T17:00:00+00:00,1,2,\n")

    assert [(item.location, item.field) for item in items] == [("line 2", "end")]


def test_an_extra_column_is_a_row_error_and_parsing_continues():
    items = parse_text(
        HEADER
        + "M,2024-05-22T17:00:00+00:00,2024-05-22T17:15:00+00:00,1,2,,surprise\n"
        + "M,2024-05-22T17:15:00+00:00,2024-05-22T17:30:00+00:00,3,,\n"
    )

    assert items[0] == RowError("line 2", "row", "expected 6 columns, got 7")
    assert isinstance(items[1], ParsedReading)
    assert items[1].wh == 3


def test_a_header_with_an_extra_column_rejects_the_file():
    with pytest.raises(FileRejected) as rejected:
        parse_text("meter_id,start,end,export_wh,import_wh,quality,notes\n")

    assert rejected.value.code == "unknown_format"
    assert "exactly meter_id,start,end,export_wh,import_wh,quality" in rejected.value.reason


def test_an_empty_row_meter_takes_the_callers_meter_and_another_meter_is_refused():
    items = parse_text(
        HEADER
        + ",2024-05-22T17:00:00+00:00,2024-05-22T17:15:00+00:00,1,,\n"
        + "OTHER,2024-05-22T17:15:00+00:00,2024-05-22T17:30:00+00:00,1,,\n",
        meter_id="SITE-7",
    )

    assert items[0].meter_id == "SITE-7"
    assert items[1] == RowError(
        "line 3", "meter_id", "row names meter 'OTHER', upload is for 'SITE-7'"
    )


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("1e30", "'1e30' is not an integer number of Wh (ASCII digits)"),
        ("NaN", "'NaN' is not an integer number of Wh (ASCII digits)"),
        ("2.5", "'2.5' is not an integer number of Wh (ASCII digits)"),
        ("1000000000000001", "1000000000000001 Wh is beyond the plausible 1000000000000000 Wh"),
        ("9" * 400, "99999999999999999999... is not a plausible integer Wh value"),
    ],
)
def test_implausible_energy_is_a_row_error(cell, reason):
    items = parse_text(HEADER + f"M,2024-05-22T17:00:00+00:00,2024-05-22T17:15:00+00:00,{cell},,\n")

    # The row's start was read before its energy: the error carries it.
    assert items == [RowError("line 2", "export_wh", reason, datetime(2024, 5, 22, 17, tzinfo=UTC))]


def test_a_negative_export_is_still_yielded_for_validation_to_judge():
    items = parse_text(HEADER + "M,2024-05-22T17:00:00+00:00,2024-05-22T17:15:00+00:00,-5,,\n")

    assert items[0].wh == -5


def test_year_9999_parses_and_an_overflowing_offset_is_a_row_error():
    items = parse_text(
        HEADER
        + "M,9999-12-31T23:00:00+00:00,9999-12-31T23:15:00+00:00,1,,\n"
        + "M,9999-12-31T23:30:00-05:00,9999-12-31T23:45:00-05:00,1,,\n"
    )

    assert items[0].start == datetime(9999, 12, 31, 23, tzinfo=UTC)
    assert items[1].field == "start"
    # The message names the bound a reading's instant must keep (issue 18, item 12).
    assert items[1].reason == (
        "'9999-12-31T23:30:00-05:00' is after the last instant a reading can have "
        "(9999-12-31 23:59:59 UTC)"
    )


def test_a_row_without_either_energy_cell_is_reported():
    items = parse_text(HEADER + "M,2024-05-22T17:00:00+00:00,2024-05-22T17:15:00+00:00,,,\n")

    assert items == [
        RowError(
            "line 2",
            "export_wh",
            "neither export_wh nor import_wh is given",
            datetime(2024, 5, 22, 17, tzinfo=UTC),
        )
    ]


def test_parse_keeps_no_list_of_readings_in_memory(tmp_path):
    # Given 300,000 rows (600,000 readings): a parser that kept them would hold well over
    # 100 MB (a frozen reading with its datetime is several hundred bytes).
    path = tmp_path / "big.csv"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    step = timedelta(minutes=15)
    with path.open("w") as out:
        out.write(HEADER)
        for index in range(300_000):
            begin = start + index * step
            out.write(f"M,{begin.isoformat()},{(begin + step).isoformat()},{index % 97},1,\n")

    tracemalloc.start()
    count = total = 0
    with path.open("rb") as stream:
        for item in canonical_csv.parse(stream):
            count += 1
            total += item.wh
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert count == 600_000
    # sum(index % 97 for 300,000 rows) + 300,000 imports of 1 Wh:
    # 300,000 = 3,092 x 97 + 76, so 3,092 x (0+...+96) + (0+...+75) = 3,092 x 4,656 + 2,850.
    assert total == 3_092 * 4_656 + 2_850 + 300_000
    assert peak < 2_000_000
