"""An upload's report counts rows of the file, and a row is stored whole or not at all."""

import pytest

from settlement.metering.models import Reading, UploadProblem
from tests.metering_fixtures import canonical

pytestmark = pytest.mark.django_db

PGE_HEADER = "TYPE,DATE,START TIME,END TIME,IMPORT (kWh),EXPORT (kWh),COST,NOTES"
# Line 2 of every file below: a good quarter hour, so the file as a whole is processed.
GOOD_ROW = "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,100,200,"


def lines_of(summary: dict) -> list[tuple[str, int, str | None, str | None, str]]:
    return [
        (g["field"], g["count"], g["first_at"], g["last_at"], g["line"])
        for g in summary["problem_groups"]
    ]


def test_a_line_whose_export_and_import_are_refused_for_one_reason_is_one_row(site, run_ingest):
    # Given line 3 with both an export and an import cell, for a quarter hour in 2030.
    code, summary = run_ingest(
        canonical(GOOD_ROW, "SITE-7,2030-01-01T08:00:00Z,2030-01-01T08:15:00Z,100,200,")
    )

    assert code == 0
    # The CSV report keeps one problem per refused reading...
    assert summary["rejected"] == 2
    assert UploadProblem.objects.filter(kind="REJECTED", location="line 3").count() == 2
    # ...the grouped report says one row, and its time is the interval's start (08:00),
    # not the end instant the reason names (08:15).
    assert lines_of(summary) == [
        (
            "start",
            1,
            "2030-01-01T08:00:00+00:00",
            "2030-01-01T08:00:00+00:00",
            "line 3: interval ending 2030-01-01T08:15:00+00:00 is in the future",
        )
    ]


def test_two_lines_of_two_readings_each_are_two_rows_from_first_to_last_start(site, run_ingest):
    code, summary = run_ingest(
        canonical(
            GOOD_ROW,
            "SITE-7,2030-01-01T08:00:00Z,2030-01-01T08:15:00Z,100,200,",
            "SITE-7,2030-01-01T08:15:00Z,2030-01-01T08:30:00Z,100,200,",
        )
    )

    assert code == 0
    assert summary["rejected"] == 4  # two readings on each of lines 3 and 4
    # Starts 08:00 and 08:15 (the reasons name the ends, 08:15 and 08:30).
    assert lines_of(summary) == [
        (
            "start",
            2,
            "2030-01-01T08:00:00+00:00",
            "2030-01-01T08:15:00+00:00",
            (
                "2 rows, 2030-01-01 08:00 to 2030-01-01 08:15 UTC (line 3 to line 4): "
                "interval ending is in the future"
            ),
        )
    ]


def test_a_refused_export_cell_refuses_the_import_of_its_row(site, run_ingest):
    # Given line 3 whose export is over the site's 100 kW (25,000 Wh a quarter hour) and
    # whose import is plausible, between two good lines.
    code, summary = run_ingest(
        canonical(
            GOOD_ROW,
            "SITE-7,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,25001,300,",
            "SITE-7,2024-05-22T17:30:00Z,2024-05-22T17:45:00Z,100,200,",
        )
    )

    assert code == 0
    # Lines 2 and 4 stored (2 readings each); line 3 stored neither of its readings.
    assert (summary["accepted"], summary["rejected"]) == (4, 2)
    assert sorted(Reading.objects.values_list("start__minute", "wh")) == [
        (0, 100),
        (0, 200),
        (30, 100),
        (30, 200),
    ]
    # Line 3 left no trace in the sequence: each channel misses 17:15-17:30 (900 s).
    assert summary["gaps"] == 2
    rejected = [g for g in lines_of(summary) if g[0] != "start"]
    assert rejected == [
        (
            "wh",
            1,
            "2024-05-22T17:15:00+00:00",
            "2024-05-22T17:15:00+00:00",
            (
                "line 3: 25001 Wh in 900 s is more than the site's service capacity allows "
                "(100.000 kW x 900 s = 25000.000 Wh)"
            ),
        ),
        (
            "row",
            1,
            "2024-05-22T17:15:00+00:00",
            "2024-05-22T17:15:00+00:00",
            "line 3: import reading not stored with its row: its export reading was refused (wh)",
        ),
    ]


def test_an_unreadable_import_cell_refuses_the_export_of_its_row(site, run_ingest):
    # A PG&E row: 00:15 PDT is 07:15 UTC; its IMPORT cell is not a number.
    content = (
        "\n".join(
            [
                PGE_HEADER,
                "Electric usage,2024-05-22,00:00,00:14,0.25,0.10,$0.08,",
                "Electric usage,2024-05-22,00:15,00:29,abc,0.10,$0.08,",
            ]
        )
        + "\n"
    ).encode()

    code, summary = run_ingest(content, "--meter", "SITE-7")

    assert code == 0
    # Line 2: 250 Wh import and 100 Wh export; line 3: nothing.
    assert (summary["accepted"], summary["rejected"]) == (2, 2)
    assert sorted(Reading.objects.values_list("channel__kind", "wh")) == [
        ("SITE_EXPORT", 100),
        ("SITE_IMPORT", 250),
    ]
    assert lines_of(summary) == [
        (
            "IMPORT (kWh)",
            1,
            "2024-05-22T07:15:00+00:00",
            "2024-05-22T07:15:00+00:00",
            "line 3: 'abc' is not a number",
        ),
        (
            "row",
            1,
            "2024-05-22T07:15:00+00:00",
            "2024-05-22T07:15:00+00:00",
            "line 3: export reading not stored with its row: its IMPORT (kWh) could not be read",
        ),
    ]


def test_an_unreadable_canonical_cell_refuses_its_whole_row(site, run_ingest):
    code, summary = run_ingest(
        canonical(GOOD_ROW, "SITE-7,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,abc,300,")
    )

    assert code == 0
    assert (summary["accepted"], summary["rejected"]) == (2, 1)
    assert not Reading.objects.filter(start__minute=15).exists()
    assert summary["errors"] == [
        {
            "kind": "REJECTED",
            "location": "line 3",
            "field": "export_wh",
            "reason": "'abc' is not an integer number of Wh (ASCII digits)",
        }
    ]


def test_a_row_that_cannot_be_read_has_no_time_span(site, run_ingest):
    code, summary = run_ingest(canonical(GOOD_ROW, "SITE-7,2024-05-22T17:15:00Z"))

    assert code == 0
    assert lines_of(summary) == [("row", 1, None, None, "line 3: expected 6 columns, got 2")]
