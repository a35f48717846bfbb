"""Readings into hours for event delivery, worked out by hand in America/Los_Angeles.

2025-11-02 is the fall-back day there (01:00 happens twice: 08:00Z in PDT, 09:00Z in PST;
25 hours), and 2025-03-09 the spring-forward day (02:00 never happens; 23 hours).
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from settlement.rating import hour_buckets
from settlement.rating.hour_buckets import Reading

D = Decimal
LA = ZoneInfo("America/Los_Angeles")
FALL_BACK = date(2025, 11, 2)
SPRING_FORWARD = date(2025, 3, 9)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def after(start: datetime, hours: int) -> datetime:
    return start + hour_buckets.HOUR * hours


def imported(start: datetime, wh: int, *, duration_s: int = 3600, paid: bool = True) -> Reading:
    return Reading(start=start, duration_s=duration_s, wh=wh, exported=False, paid=paid)


def exported(start: datetime, wh: int, *, paid: bool = True) -> Reading:
    return Reading(start=start, duration_s=3600, wh=wh, exported=True, paid=paid)


def test_a_reading_crossing_an_hour_is_split_in_proportion_to_its_seconds() -> None:
    # 30 minutes from 10:45: 15 minutes (150 of 300 Wh) in each hour.
    buckets = hour_buckets.bucket_by_hour(
        readings=[imported(utc(7, 15, 10, 45), 300, duration_s=1800)]
    )

    assert dict(buckets.import_wh) == {utc(7, 15, 10): D(150), utc(7, 15, 11): D(150)}
    assert dict(buckets.paid_s) == {utc(7, 15, 10): D(900), utc(7, 15, 11): D(900)}
    assert dict(buckets.export_wh) == {}


def test_an_unpaid_reading_counts_its_energy_but_not_its_seconds() -> None:
    buckets = hour_buckets.bucket_by_hour(
        readings=[exported(utc(7, 15, 10), 400, paid=False), imported(utc(7, 15, 10), 1000)]
    )

    assert buckets.exported_wh(utc(7, 15, 10)) == D(400)
    assert buckets.net_import_wh(utc(7, 15, 10)) == D(600)
    assert dict(buckets.paid_s) == {utc(7, 15, 10): D(3600)}
    assert buckets.net_import_wh(utc(7, 15, 11)) == D(0)
    assert not buckets.recorded(utc(7, 15, 11))


def test_the_fall_back_days_repeated_hour_is_the_mean_of_its_two_occurrences() -> None:
    # 01:00 PDT: 1000 Wh in; 01:00 PST: 2000 in, 400 out -> (1000 + 1600) / 2 = 1300 Wh.
    buckets = hour_buckets.bucket_by_hour(
        readings=[
            imported(utc(11, 2, 8), 1000),
            imported(utc(11, 2, 9), 2000),
            exported(utc(11, 2, 9), 400),
        ]
    )

    day = hour_buckets.candidate_day(
        buckets=buckets, day=FALL_BACK, zone=LA, channel_count=2, excluded_reason=""
    )

    assert day.hourly_wh == {1: D(1300)}
    # 3 paid hours of the 25-hour day's 25 x 2 channel-hours: 1 - 3/50 = 0.94.
    assert day.incomplete_share == D("0.94")


def test_a_complete_fall_back_day_has_24_local_hours_and_nothing_missing() -> None:
    # Local midnight PDT is 07:00Z; the next local midnight (PST) is 08:00Z the day after.
    readings = [imported(after(utc(11, 2, 7), n), 100 + n) for n in range(25)]

    day = hour_buckets.candidate_day(
        buckets=hour_buckets.bucket_by_hour(readings=readings),
        day=FALL_BACK,
        zone=LA,
        channel_count=1,
        excluded_reason="",
    )

    assert sorted(day.hourly_wh) == list(range(24))
    assert day.hourly_wh[0] == D(100)
    # 08:00Z (101 Wh) and 09:00Z (102 Wh) are both 01:00 local.
    assert day.hourly_wh[1] == D("101.5")
    assert day.hourly_wh[2] == D(103)
    assert day.hourly_wh[23] == D(124)
    # All 25 hours of the 25-hour day paid.
    assert day.incomplete_share == D(0)


def test_the_spring_forward_day_has_no_2_oclock() -> None:
    # Local midnight PST is 08:00Z; the next local midnight (PDT) is 07:00Z the day after.
    readings = [imported(after(utc(3, 9, 8), n), 10 * n) for n in range(23)]

    day = hour_buckets.candidate_day(
        buckets=hour_buckets.bucket_by_hour(readings=readings),
        day=SPRING_FORWARD,
        zone=LA,
        channel_count=1,
        excluded_reason="",
    )

    assert sorted(day.hourly_wh) == [0, 1, *range(3, 24)]
    # 09:00Z is 01:00 PST, the next hour 10:00Z is already 03:00 PDT.
    assert (day.hourly_wh[1], day.hourly_wh[3]) == (D(10), D(20))
    # All 23 hours of the 23-hour day paid: nothing is missing.
    assert day.incomplete_share == D(0)


def test_two_hours_of_a_spring_forward_day_leave_the_rest_missing() -> None:
    # 2 paid hours of the day's 23: 1 - 2/23.
    buckets = hour_buckets.bucket_by_hour(
        readings=[imported(utc(3, 9, 9), 600), imported(utc(3, 9, 10), 900)]
    )

    day = hour_buckets.candidate_day(
        buckets=buckets, day=SPRING_FORWARD, zone=LA, channel_count=1, excluded_reason=""
    )

    assert day.hourly_wh == {1: D(600), 3: D(900)}
    assert day.incomplete_share == 1 - D(2) / D(23)


def test_a_fall_back_day_missing_one_hour_is_one_twenty_fifth_incomplete() -> None:
    # The 25-hour day with its 24 first hours paid (07:00Z to 06:00Z next day) and the last
    # one (07:00Z, 23:00 PST) missing: 1 - 24/25, the extra hour does not stand in for it.
    readings = [imported(after(utc(11, 2, 7), n), 100) for n in range(24)]

    day = hour_buckets.candidate_day(
        buckets=hour_buckets.bucket_by_hour(readings=readings),
        day=FALL_BACK,
        zone=LA,
        channel_count=1,
        excluded_reason="",
    )

    assert day.incomplete_share == 1 - D(24) / D(25)


def test_candidate_days_run_from_the_first_day_to_the_day_before_the_event() -> None:
    days = hour_buckets.candidate_days(
        buckets=hour_buckets.bucket_by_hour(readings=[imported(utc(7, 14, 17), 500)]),
        first=date(2025, 7, 13),
        event_day=date(2025, 7, 15),
        zone=LA,
        channel_count=1,
        event_days={date(2025, 7, 13)},
    )

    assert [(d.day, d.excluded_reason) for d in days] == [
        (date(2025, 7, 13), "event day"),
        (date(2025, 7, 14), ""),
    ]
    # 17:00Z is 10:00 PDT; one paid hour of 24.
    assert days[1].hourly_wh == {10: D(500)}
    assert days[1].incomplete_share == 1 - D(1) / D(24)
    assert days[0].hourly_wh == {}
    assert days[0].incomplete_share == D(1)


def test_the_first_short_hour_is_the_first_with_less_than_every_channels_full_hour() -> None:
    buckets = hour_buckets.bucket_by_hour(
        readings=[
            imported(utc(7, 15, 10), 1),
            exported(utc(7, 15, 10), 1),
            imported(utc(7, 15, 11), 1),
            exported(utc(7, 15, 11), 1, paid=False),
        ]
    )
    hours = hour_buckets.hours_between(start=utc(7, 15, 10), end=utc(7, 15, 12))

    assert hours == [utc(7, 15, 10), utc(7, 15, 11)]
    assert hour_buckets.first_short_hour(buckets=buckets, hours=hours, channel_count=2) == utc(
        7, 15, 11
    )
    assert hour_buckets.first_short_hour(buckets=buckets, hours=hours[:1], channel_count=2) is None


def test_an_event_past_local_midnight_touches_two_days_and_one_ending_at_it_one() -> None:
    # 23:00-01:00 PDT is 06:00Z-08:00Z the next UTC day.
    assert hour_buckets.local_days_touched(
        starts_at=utc(7, 16, 6), ends_at=utc(7, 16, 8), zone=LA
    ) == {date(2025, 7, 15), date(2025, 7, 16)}
    assert hour_buckets.local_days_touched(
        starts_at=utc(7, 16, 5), ends_at=utc(7, 16, 7), zone=LA
    ) == {date(2025, 7, 15)}


def test_the_hours_before_an_event_on_its_fall_back_day_keep_the_earlier_repeated_hour() -> None:
    # The event starts 02:00 PST (10:00Z). Before it that day: 00:00 PDT (07:00Z), 01:00 PDT
    # (08:00Z, 500 Wh) and 01:00 PST (09:00Z, 700 Wh); 06:00Z is still 1 November.
    buckets = hour_buckets.bucket_by_hour(
        readings=[
            imported(utc(11, 2, 6), 50),
            imported(utc(11, 2, 8), 500),
            imported(utc(11, 2, 9), 700),
        ]
    )

    before = hour_buckets.net_import_before(
        buckets=buckets, event_start=utc(11, 2, 10), day=FALL_BACK, zone=LA
    )

    assert before == {0: D(0), 1: D(500)}


def test_an_hour_is_floored_to_its_start_dropping_seconds_and_microseconds() -> None:
    assert hour_buckets.hour_floor(datetime(2025, 7, 15, 10, 59, 59, 999999, tzinfo=UTC)) == utc(
        7, 15, 10
    )
    # 60 s from 10:59:30 (120 Wh, 2 Wh a second): 30 s (60 Wh) before 11:00, 30 s after.
    buckets = hour_buckets.bucket_by_hour(
        readings=[imported(datetime(2025, 7, 15, 10, 59, 30, tzinfo=UTC), 120, duration_s=60)]
    )

    assert dict(buckets.import_wh) == {utc(7, 15, 10): D(60), utc(7, 15, 11): D(60)}
    assert dict(buckets.paid_s) == {utc(7, 15, 10): D(30), utc(7, 15, 11): D(30)}


def test_readings_of_one_hour_add_up() -> None:
    # Two half-hour imports at 10:00 and 10:30: 200 + 300 = 500 Wh and 1800 + 1800 = 3600 s.
    buckets = hour_buckets.bucket_by_hour(
        readings=[
            imported(utc(7, 15, 10), 200, duration_s=1800),
            imported(utc(7, 15, 10, 30), 300, duration_s=1800),
        ]
    )

    assert dict(buckets.import_wh) == {utc(7, 15, 10): D(500)}
    assert dict(buckets.paid_s) == {utc(7, 15, 10): D(3600)}


def test_an_hour_with_no_export_reading_exported_nothing() -> None:
    # The site only imported at 10:00 (and recorded nothing at 11:00): 0 Wh exported in both.
    buckets = hour_buckets.bucket_by_hour(readings=[imported(utc(7, 15, 10), 700)])

    assert buckets.exported_wh(utc(7, 15, 10)) == D(0)
    assert buckets.exported_wh(utc(7, 15, 11)) == D(0)


def test_a_day_with_no_channel_is_wholly_incomplete() -> None:
    # 0 channels x the 23-hour day = 0 s expected: nothing can be paid, so all of it is
    # incomplete (1), not a division by zero.
    day = hour_buckets.candidate_day(
        buckets=hour_buckets.HourBuckets(),
        day=SPRING_FORWARD,
        zone=LA,
        channel_count=0,
        excluded_reason="",
    )

    assert day.hourly_wh == {}
    assert day.incomplete_share == D(1)


def test_an_hour_without_any_paid_reading_is_short() -> None:
    # One channel: 10:00 has its 3600 s, 11:00 has no reading at all (0 s < 3600 s).
    buckets = hour_buckets.bucket_by_hour(readings=[imported(utc(7, 15, 10), 1)])
    hours = [utc(7, 15, 10), utc(7, 15, 11)]

    assert hour_buckets.first_short_hour(buckets=buckets, hours=hours, channel_count=1) == utc(
        7, 15, 11
    )


def test_the_hours_before_an_event_include_the_one_just_before_it() -> None:
    # The event starts 10:00 PDT (17:00Z). 15 July began at 07:00Z (00:00 PDT), so the hours
    # before it that day are 00:00-09:00 PDT (07:00Z-16:00Z). 08:00 PDT (15:00Z): 800 Wh in;
    # 09:00 PDT (16:00Z): 900 in, 300 out -> 600. 17:00Z on 14 July, 24 hours back, is
    # 10:00 PDT the day before and not among them.
    buckets = hour_buckets.bucket_by_hour(
        readings=[
            imported(utc(7, 15, 15), 800),
            imported(utc(7, 15, 16), 900),
            exported(utc(7, 15, 16), 300),
        ]
    )

    before = hour_buckets.net_import_before(
        buckets=buckets, event_start=utc(7, 15, 17), day=date(2025, 7, 15), zone=LA
    )

    assert before == {**{h: D(0) for h in range(8)}, 8: D(800), 9: D(600)}


def test_the_hours_before_an_event_are_at_most_24_even_on_a_26_hour_day() -> None:
    # Los Angeles days last at most 25 hours; Antarctica/Troll goes from +02 to +00 on
    # 2025-10-26 (03:00 +02 = 01:00Z becomes 01:00 +00), a 26-hour day from 22:00Z on 25
    # October (00:00 +02) to 00:00Z on 27 October. An event at 23:00 +00 (23:00Z on the 26th)
    # has all 24 hours before it (23:00Z on the 25th to 22:00Z) on its day: local 01:00 +02,
    # 02:00 +02, then 01:00 to 22:00 +00, keys 1-22. The earlier 01:00 (23:00Z, 100 Wh) wins
    # over the later (01:00Z, 300 Wh). 00:00 +02 (22:00Z on the 25th, 70 Wh) is the 25th hour
    # back: not one of them, so there is no key 0.
    troll = ZoneInfo("Antarctica/Troll")
    buckets = hour_buckets.bucket_by_hour(
        readings=[
            imported(utc(10, 25, 22), 70),
            imported(utc(10, 25, 23), 100),
            imported(utc(10, 26, 1), 300),
        ]
    )

    before = hour_buckets.net_import_before(
        buckets=buckets, event_start=utc(10, 26, 23), day=date(2025, 10, 26), zone=troll
    )

    assert before == {**{h: D(0) for h in range(1, 23)}, 1: D(100)}
