from collections import Counter
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settlement.rating import local_time
from settlement.rating.errors import RatingInputError
from tests.unit.rating.plans import LOS_ANGELES, epoch, examples, utc


def quarter_hours(start: datetime, end: datetime) -> np.ndarray:
    return np.arange(epoch(start), epoch(end), 900, dtype=np.int64)


def test_a_july_afternoon_reads_in_daylight_time_not_standard_time():
    # 2025-07-15 23:00 UTC - 7 h (PDT) = 16:00 local; a fixed PST offset would say 15:00.
    fields = local_time.to_local(np.array([epoch(utc(2025, 7, 15, 23))]), LOS_ANGELES)

    assert fields.hour.tolist() == [16]
    # Wall-clock seconds: the epoch seconds of 2025-07-15 16:00 read as if it were UTC.
    assert fields.local_s.tolist() == [epoch(utc(2025, 7, 15, 16))]
    assert (fields.year.tolist(), fields.month.tolist(), fields.day.tolist()) == (
        [2025],
        [7],
        [15],
    )
    assert fields.weekday.tolist() == [1]  # a Tuesday
    assert fields.ordinal.tolist() == [datetime(2025, 7, 15).toordinal()]  # noqa: DTZ001


def test_spring_forward_day_has_92_quarter_hours_and_no_2_am():
    # Local 2025-03-09 runs from 00:00 PST (08:00 UTC) to 00:00 PDT next day (07:00 UTC): 23 h.
    starts = quarter_hours(utc(2025, 3, 9, 8), utc(2025, 3, 10, 7))

    fields = local_time.to_local(starts, LOS_ANGELES)

    assert starts.shape[0] == 92
    assert set(fields.day.tolist()) == {9}
    assert sorted(Counter(fields.hour.tolist())) == [0, 1, *range(3, 24)]


def test_fall_back_day_has_100_quarter_hours_and_1_am_twice():
    # Local 2025-11-02 runs from 00:00 PDT (07:00 UTC) to 00:00 PST next day (08:00 UTC): 25 h.
    starts = quarter_hours(utc(2025, 11, 2, 7), utc(2025, 11, 3, 8))

    fields = local_time.to_local(starts, LOS_ANGELES)

    assert starts.shape[0] == 100
    assert set(fields.day.tolist()) == {2}
    assert Counter(fields.hour.tolist())[1] == 8
    assert Counter(fields.hour.tolist())[2] == 4


def test_the_offset_table_finds_both_2025_transitions_to_the_second():
    table = local_time.offset_table(
        LOS_ANGELES, start_utc=epoch(utc(2025, 1, 1)), end_utc=epoch(utc(2026, 1, 1))
    )

    # 2025-03-09 02:00 PST = 10:00 UTC; 2025-11-02 02:00 PDT = 09:00 UTC.
    assert table.starts_utc[1:].tolist() == [epoch(utc(2025, 3, 9, 10)), epoch(utc(2025, 11, 2, 9))]
    assert table.offsets_s.tolist() == [-8 * 3600, -7 * 3600, -8 * 3600]


def test_an_unknown_zone_is_refused():
    with pytest.raises(RatingInputError, match="Mars/Olympus_Mons"):
        local_time.to_local(np.array([0]), "Mars/Olympus_Mons")


ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Pacific/Apia",
    "UTC",
]


@settings(max_examples=examples(60), deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    first=st.integers(min_value=epoch(utc(1995, 1, 1)), max_value=epoch(utc(2035, 1, 1))),
    offsets=st.lists(st.integers(min_value=0, max_value=400 * 86_400), min_size=1, max_size=60),
)
def test_vectorized_fields_match_zoneinfo_instant_by_instant(zone, first, offsets):
    instants = np.array([first + offset for offset in offsets], dtype=np.int64)

    fields = local_time.to_local(instants, zone)

    info = ZoneInfo(zone)
    for position, instant in enumerate(instants.tolist()):
        expected = datetime.fromtimestamp(instant, tz=UTC).astimezone(info)
        assert (
            int(fields.year[position]),
            int(fields.month[position]),
            int(fields.day[position]),
            int(fields.hour[position]),
            int(fields.weekday[position]),
            int(fields.ordinal[position]),
        ) == (
            expected.year,
            expected.month,
            expected.day,
            expected.hour,
            expected.weekday(),
            expected.toordinal(),
        )


def test_no_instants_give_empty_int64_fields():
    fields = local_time.to_local(np.zeros(0, dtype=np.int64), LOS_ANGELES)

    for name in ("local_s", "epoch_day", "year", "month", "day", "hour", "weekday"):
        values = getattr(fields, name)
        assert (name, values.shape, values.dtype) == (name, (0,), np.int64)


def test_a_naive_datetime_is_refused_naming_it():
    with pytest.raises(RatingInputError, match=r"^2025-07-15T16:00:00: must be timezone-aware$"):
        local_time.epoch_seconds(datetime(2025, 7, 15, 16))  # noqa: DTZ001 - naive on purpose


def test_offsets_are_whole_seconds_and_changes_are_found_to_the_second():
    # Los Angeles springs forward at 2025-03-09 10:00:00 UTC.
    table = local_time.offset_table(
        LOS_ANGELES, start_utc=epoch(utc(2025, 3, 8)), end_utc=epoch(utc(2025, 3, 10))
    )

    assert table.zone == LOS_ANGELES
    assert table.starts_utc.tolist()[1:] == [epoch(utc(2025, 3, 9, 10))]
    assert table.offsets_s.tolist() == [-8 * 3600, -7 * 3600]
    assert (table.starts_utc.dtype, table.offsets_s.dtype) == (np.int64, np.int64)
    assert local_time.offset_seconds(local_time.zone_info("Asia/Kolkata"), 0) == 19_800


def test_epoch_seconds_are_whole_seconds_rounded_down():
    # 2025-07-15 16:00:00 UTC is 20,284 days and 16 hours after 1970-01-01:
    # 20,284 x 86,400 + 16 x 3,600 = 1,752,595,200; half a second later is still that second.
    moment = datetime(2025, 7, 15, 16, 0, 0, 500_000, tzinfo=UTC)

    seconds = local_time.epoch_seconds(moment)

    assert (seconds, type(seconds)) == (1_752_595_200, int)
    assert local_time.epoch_seconds(datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)) == -1


class _NoOffset(tzinfo):
    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        return None


def test_a_time_zone_that_knows_no_offset_is_refused_like_a_naive_datetime():
    with pytest.raises(RatingInputError, match=r"^2025-07-15T16:00:00: must be timezone-aware$"):
        local_time.epoch_seconds(datetime(2025, 7, 15, 16, tzinfo=_NoOffset()))
