"""The zone's offset table is cached per zone and span, and a cached table is still exact."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.rating import local_time
from tests.unit.rating.plans import LOS_ANGELES, epoch, examples, utc

YEAR_2025 = {"start_utc": epoch(utc(2025, 1, 1, 8)), "end_utc": epoch(utc(2026, 1, 1, 8))}


def zoneinfo_offset(zone: str, instant: int) -> int:
    # The independent computation: the standard library, one instant at a time.
    offset = datetime.fromtimestamp(instant, tz=UTC).astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def table_offset(table: local_time.OffsetTable, instant: int) -> int:
    return int(table.offsets_s[table.segment_of(np.array([instant], dtype=np.int64))[0]])


def test_the_same_zone_and_span_give_the_same_table_object():
    first = local_time.offset_table(LOS_ANGELES, **YEAR_2025)
    second = local_time.offset_table(LOS_ANGELES, **YEAR_2025)

    assert second is first


def test_another_span_or_zone_gets_its_own_table():
    year = local_time.offset_table(LOS_ANGELES, **YEAR_2025)
    july = local_time.offset_table(
        LOS_ANGELES, start_utc=epoch(utc(2025, 7, 1, 7)), end_utc=epoch(utc(2025, 8, 1, 7))
    )
    new_york = local_time.offset_table("America/New_York", **YEAR_2025)

    assert july is not year and new_york is not year
    # July alone holds no change; the year holds both of 2025's (PST -> PDT -> PST).
    assert july.offsets_s.tolist() == [-7 * 3600]
    assert year.offsets_s.tolist() == [-8 * 3600, -7 * 3600, -8 * 3600]
    # New York changes at 02:00 local too: 07:00 UTC in March, 06:00 UTC in November.
    assert new_york.zone == "America/New_York"
    assert new_york.starts_utc[1:].tolist() == [
        epoch(utc(2025, 3, 9, 7)),
        epoch(utc(2025, 11, 2, 6)),
    ]
    assert new_york.offsets_s.tolist() == [-5 * 3600, -4 * 3600, -5 * 3600]


def test_a_cached_table_cannot_be_written_into():
    table = local_time.offset_table(LOS_ANGELES, **YEAR_2025)

    with pytest.raises(ValueError, match="read-only"):
        table.offsets_s[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        table.starts_utc[1] = 0


@pytest.mark.parametrize(
    ("zone", "change"),
    [
        # The second each 2025 change happens, and the seconds either side of it.
        (LOS_ANGELES, utc(2025, 3, 9, 10)),
        (LOS_ANGELES, utc(2025, 11, 2, 9)),
        ("Europe/London", utc(2025, 3, 30, 1)),
        ("Europe/London", utc(2025, 10, 26, 1)),
        # Lord Howe moves by 30 minutes: 02:00 local standard (+10:30) -> +11:00.
        ("Australia/Lord_Howe", datetime(2025, 10, 4, 15, 30, tzinfo=UTC)),
    ],
)
def test_a_reused_table_is_exact_at_each_side_of_a_change(zone, change):
    span = {"start_utc": epoch(utc(2025, 1, 1)), "end_utc": epoch(utc(2026, 1, 1))}
    local_time.offset_table(zone, **span)
    table = local_time.offset_table(zone, **span)  # served from the cache

    instant = epoch(change)
    for moment in (instant - 1, instant, instant + 1):
        assert table_offset(table, moment) == zoneinfo_offset(zone, moment)
    assert table_offset(table, instant - 1) != table_offset(table, instant)


ZONES = [
    LOS_ANGELES,
    "America/St_Johns",
    "America/Santiago",
    "Europe/Berlin",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Phoenix",
]


@settings(max_examples=examples(40), deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.integers(min_value=epoch(utc(2000, 1, 1)), max_value=epoch(utc(2035, 1, 1))),
    days=st.integers(min_value=1, max_value=400),
    probes=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40),
)
def test_cached_offsets_equal_zoneinfo_whatever_the_zone_and_span(zone, start, days, probes):
    end = start + days * 86_400
    local_time.offset_table(zone, start_utc=start, end_utc=end)
    table = local_time.offset_table(zone, start_utc=start, end_utc=end)

    # Every instant of the span (probes spread over it), and every change the table holds.
    instants = [start + probe % (end - start) for probe in probes]
    changes = table.starts_utc[1:].tolist()
    for instant in instants + changes + [change - 1 for change in changes]:
        assert table_offset(table, instant) == zoneinfo_offset(zone, instant)


def test_clearing_the_cache_builds_an_equal_table_anew():
    before = local_time.offset_table(LOS_ANGELES, **YEAR_2025)

    local_time.clear_offset_tables()
    after = local_time.offset_table(LOS_ANGELES, **YEAR_2025)

    assert after is not before
    assert after.starts_utc.tolist() == before.starts_utc.tolist()
    assert after.offsets_s.tolist() == before.offsets_s.tolist()
