"""VEE rules one reading at a time, without a database: each rule, its boundary, its reason."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from settlement.metering import vee
from settlement.metering.formats.base import Flow, ParsedReading
from settlement.metering.formats.quality import Quality

NOW = datetime(2025, 6, 1, tzinfo=UTC)
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
ST_JOHNS = ZoneInfo("America/St_Johns")


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, second, tzinfo=UTC)


def facts(**changes: object) -> vee.ChannelFacts:
    """Return a revenue meter's export channel enrolled from 2024-01-01, open-ended."""
    values: dict[str, object] = {
        "channel_id": 7,
        "meter_id": "SITE-7",
        "kind": "SITE_EXPORT",
        "max_kw": None,
        "enrolled": ((datetime(2024, 1, 1, 8, tzinfo=UTC), None),),
        "interpolate_up_to_s": 0,
        "zone": LOS_ANGELES,
    }
    values.update(changes)
    return vee.ChannelFacts(**values)  # type: ignore[arg-type]


def reading(start: datetime, duration_s: int = 900, wh: int = 100, **changes: object):
    values: dict[str, object] = {
        "meter_id": "SITE-7",
        "flow": Flow.EXPORT,
        "start": start,
        "duration_s": duration_s,
        "wh": wh,
        "quality": Quality.ACTUAL,
        "source": "line 2",
    }
    values.update(changes)
    return ParsedReading(**values)  # type: ignore[arg-type]


def validator(channel: vee.ChannelFacts | str | None = None, now: datetime = NOW):
    asked: list[tuple[str, Flow]] = []

    def resolve(meter_id: str, flow: Flow) -> vee.ChannelFacts | str:
        asked.append((meter_id, flow))
        if channel is not None:
            return channel
        return facts() if flow == Flow.EXPORT else facts(channel_id=8, kind="SITE_IMPORT")

    return vee.Validator(resolve=resolve, now=now), asked


def only(results):
    assert len(results) == 1
    return results[0]


def rejection(results, at_location="line 2"):
    problem = only(results)
    assert isinstance(problem, vee.Problem)
    assert (problem.kind, problem.location) == ("REJECTED", at_location)
    return problem.field, problem.reason


def test_an_accepted_reading_carries_its_channel_end_and_quality():
    check, _ = validator()

    accepted = only(check.check(reading(at(22, 17), wh=250, quality=Quality.ESTIMATED)))

    assert accepted == vee.Accepted(
        7, at(22, 17), at(22, 17, 15), 900, 250, "ESTIMATED", "line 2", False
    )


@pytest.mark.parametrize(
    ("start", "duration_s", "zone", "aligned"),
    [
        (at(22, 17, 15), 900, LOS_ANGELES, True),
        (at(22, 17, 10), 900, LOS_ANGELES, False),
        (at(22, 17, 0, 1), 900, LOS_ANGELES, False),
        (at(22, 17).replace(microsecond=1), 900, LOS_ANGELES, False),
        # Half a second before the quarter hour is not on it.
        (at(22, 17, 14, 59).replace(microsecond=500_000), 900, LOS_ANGELES, False),
        # 70 s into the hour is not a whole number of 50 s intervals.
        (at(22, 17, 1, 10), 50, LOS_ANGELES, False),
        (at(22, 17, 1, 40), 50, LOS_ANGELES, True),
        (at(22, 17, 30), 3600, LOS_ANGELES, False),
        (at(22, 17), 3600, LOS_ANGELES, True),
        (at(22, 17), 7200, LOS_ANGELES, True),
        (at(22, 17, 15), 7200, LOS_ANGELES, False),
        # St. John's is UTC-2:30 in May: its local hours start at :30 UTC.
        (at(22, 17, 30), 3600, ST_JOHNS, True),
        (at(22, 17), 3600, ST_JOHNS, False),
        (at(22, 17, 30), 7200, ST_JOHNS, True),
        (at(22, 17, 45), 900, ST_JOHNS, True),
        # Kathmandu is UTC+5:45: 17:15Z is 23:00 local.
        (at(22, 17, 15), 3600, ZoneInfo("Asia/Kathmandu"), True),
        (at(22, 17), 3600, ZoneInfo("Asia/Kathmandu"), False),
    ],
)
def test_alignment_is_counted_from_the_local_hour(start, duration_s, zone, aligned):
    assert vee.is_aligned(start, duration_s, zone) is aligned


def test_a_misaligned_reading_is_refused_naming_the_zone():
    check, _ = validator(facts(zone=ST_JOHNS))

    assert rejection(check.check(reading(at(22, 17), duration_s=3600))) == (
        "start",
        (
            "start 2024-05-22T17:00:00+00:00 is not aligned to its 3600 s interval "
            "(counted from the local hour in America/St_Johns)"
        ),
    )


def test_a_non_positive_duration_is_refused():
    check, _ = validator()

    assert rejection(check.check(reading(at(22, 17), duration_s=0))) == (
        "duration",
        "duration 0 s is not positive",
    )


def test_negative_energy_is_refused_and_zero_accepted():
    check, _ = validator()

    assert rejection(check.check(reading(at(22, 17), wh=-5))) == (
        "wh",
        "negative energy -5 Wh on directional channel SITE_EXPORT",
    )
    assert isinstance(only(check.check(reading(at(22, 18), wh=0))), vee.Accepted)


def charger(kind: str = "EVSE_EXPORT") -> vee.ChannelFacts:
    return facts(kind=kind, max_kw=Decimal("11.5"), meter_id="CP-1")


def test_a_charger_cannot_deliver_more_than_its_power_allows():
    # 11.5 kW x 900 s / 3.6 = 2875 Wh: exactly that is accepted, one more is refused.
    check, _ = validator(charger())

    assert isinstance(only(check.check(reading(at(22, 17), wh=2875))), vee.Accepted)
    assert rejection(check.check(reading(at(22, 18), wh=2876))) == (
        "wh",
        "2876 Wh in 900 s is more than the charger can deliver (11.5 kW x 900 s = 2875.000 Wh)",
    )


def test_a_revenue_meter_is_bounded_by_the_sites_service_capacity():
    # 1 kW x 900 s / 3.6 = 250 Wh.
    check, _ = validator(facts(max_kw=Decimal("1")))

    assert isinstance(only(check.check(reading(at(22, 17), wh=250))), vee.Accepted)
    assert rejection(check.check(reading(at(22, 18), wh=251))) == (
        "wh",
        (
            "251 Wh in 900 s is more than the site's service capacity allows (1 kW x 900 s = 250.000 Wh)"
        ),
    )


def test_without_a_known_bound_any_energy_is_accepted():
    check, _ = validator(facts(kind="EVSE_EXPORT", max_kw=None))

    assert isinstance(only(check.check(reading(at(22, 17), wh=10**9))), vee.Accepted)


def test_an_interval_ending_after_now_is_refused_and_one_ending_now_accepted():
    check, _ = validator(now=at(22, 17, 30))

    assert isinstance(only(check.check(reading(at(22, 17, 15)))), vee.Accepted)
    assert rejection(check.check(reading(at(22, 17, 30)))) == (
        "start",
        "interval ending 2024-05-22T17:45:00+00:00 is in the future",
    )


def test_enrollment_windows_are_half_open():
    # Enrolled [2024-05-22 17:00Z, 2024-05-22 18:00Z): the first quarter hour and the last
    # are in; one starting before, or ending after the window's end, is out.
    window = facts(enrolled=((at(22, 17), at(22, 18)),))
    # 17:00Z and 18:00Z are 10:00 and 11:00 on 22 May in Los Angeles: the window is one
    # local day's part, so both ends name that date.
    reason = (
        "interval {} is outside every enrollment of the site "
        "(enrolled from 2024-05-22 until 2024-05-22)"
    )

    for start, accepted in (
        (at(22, 16, 45), False),
        (at(22, 17), True),
        (at(22, 17, 45), True),
        (at(22, 18), False),
    ):
        check, _ = validator(window)
        result = only(check.check(reading(start)))
        if accepted:
            assert isinstance(result, vee.Accepted)
        else:
            assert rejection([result]) == ("start", reason.format(start.isoformat()))


def test_a_refusal_names_every_enrollment_in_local_dates():
    # 2024-05-20 07:00Z is midnight in Los Angeles (PDT); 2024-03-01 08:00Z is midnight PST.
    windows = facts(
        enrolled=(
            (datetime(2024, 3, 1, 8, tzinfo=UTC), at(20, 7)),
            (at(22, 7), None),
        )
    )
    check, _ = validator(windows)

    assert rejection(check.check(reading(at(21, 17)))) == (
        "start",
        (
            "interval 2024-05-21T17:00:00+00:00 is outside every enrollment of the site "
            "(enrolled from 2024-03-01 until 2024-05-20, from 2024-05-22)"
        ),
    )


def test_any_of_several_enrollments_will_do():
    windows = facts(enrolled=((at(20, 0), at(21, 0)), (at(22, 0), None)))
    check, _ = validator(windows)

    assert isinstance(only(check.check(reading(at(22, 17)))), vee.Accepted)


def test_other_flows_and_unnamed_meters_are_refused_without_a_lookup():
    check, asked = validator()

    assert rejection(check.check(reading(at(22, 17), flow=Flow.NET))) == (
        "flow",
        "NET readings are not stored: channels are export or import only",
    )
    assert rejection(check.check(reading(at(22, 17), flow=Flow.TOTAL)))[0] == "flow"
    assert rejection(check.check(reading(at(22, 17), meter_id=None))) == (
        "meter_id",
        "the file does not name the meter; give the meter id with the upload",
    )
    assert asked == []


def test_an_unknown_meter_is_refused_with_the_resolvers_reason_looked_up_once():
    check, asked = validator("no export channel for meter 'NOPE'")

    for minute in (0, 15):
        assert rejection(check.check(reading(at(22, 17, minute), meter_id="NOPE"))) == (
            "meter_id",
            "no export channel for meter 'NOPE'",
        )
    assert asked == [("NOPE", Flow.EXPORT)]


def test_import_readings_resolve_the_import_channel():
    check, asked = validator()

    only(check.check(reading(at(22, 17), flow=Flow.IMPORT)))

    assert asked == [("SITE-7", Flow.IMPORT)]


def test_duplicates_out_of_order_and_overlaps_are_refused_against_the_last_accepted():
    check, _ = validator()
    first = reading(at(22, 17), source="line 2")
    assert isinstance(only(check.check(first)), vee.Accepted)

    assert rejection(check.check(reading(at(22, 17), source="line 3")), "line 3") == (
        "start",
        "duplicate of the interval at line 2",
    )
    assert rejection(check.check(reading(at(22, 16, 45), source="line 4")), "line 4") == (
        "start",
        (
            "out of order: starts before the interval at line 2 "
            "(2024-05-22T17:00:00+00:00) of the same channel"
        ),
    )
    assert rejection(
        check.check(reading(at(22, 17, 10), duration_s=60, source="line 5")), "line 5"
    ) == (
        "start",
        "overlaps the interval at line 2 (ends 2024-05-22T17:15:00+00:00)",
    )
    # The refused ones did not move the channel on: the next quarter hour follows line 2.
    assert isinstance(only(check.check(reading(at(22, 17, 15), source="line 6"))), vee.Accepted)


def test_channels_are_sequenced_apart():
    check, _ = validator()

    only(check.check(reading(at(22, 17))))

    assert isinstance(only(check.check(reading(at(22, 17), flow=Flow.IMPORT))), vee.Accepted)


def test_a_gap_is_reported_with_its_length_and_the_readings_around_it():
    check, _ = validator()
    only(check.check(reading(at(22, 17), source="line 2")))

    results = check.check(reading(at(22, 18), source="line 3"))

    assert results == (
        vee.Problem(
            "GAP",
            "SITE-7/SITE_EXPORT",
            "start",
            "no data from 2024-05-22T17:15:00+00:00 to 2024-05-22T18:00:00+00:00 (2700 s) "
            "between line 2 and line 3",
            # The gap's first missing instant: the end of line 2's interval.
            at(22, 17, 15),
        ),
        vee.Accepted(7, at(22, 18), at(22, 18, 15), 900, 100, "ACTUAL", "line 3", False),
    )


def test_a_short_gap_is_filled_by_interpolation_rounded_half_up():
    # 100 Wh, then 45 minutes missing, then 200 Wh: three steps of 25 Wh each way
    # 125, 150, 175.
    check, _ = validator(facts(interpolate_up_to_s=2700))
    only(check.check(reading(at(22, 17), wh=100, source="line 2")))

    gap, *estimates, accepted = check.check(reading(at(22, 18), wh=200, source="line 3"))

    assert gap.reason.endswith(
        "between line 2 and line 3; 3 intervals estimated by linear interpolation"
    )
    assert [(e.start, e.end, e.wh, e.quality, e.estimated) for e in estimates] == [
        (at(22, 17, 15), at(22, 17, 30), 125, "ESTIMATED", True),
        (at(22, 17, 30), at(22, 17, 45), 150, "ESTIMATED", True),
        (at(22, 17, 45), at(22, 18), 175, "ESTIMATED", True),
    ]
    assert estimates[0].location == "interpolated between line 2 and line 3"
    assert accepted.wh == 200


def test_interpolation_rounds_half_up_to_whole_wh():
    # 0 Wh then 3 Wh with one interval missing: (0 + 3) / 2 = 1.5 -> 2.
    previous = vee.Accepted(7, at(22, 17), at(22, 17, 15), 900, 0, "ACTUAL", "line 2")
    current = vee.Accepted(7, at(22, 17, 30), at(22, 17, 45), 900, 3, "ACTUAL", "line 3")

    assert [e.wh for e in vee.interpolate(previous, current, up_to_s=900)] == [2]


@pytest.mark.parametrize(
    ("up_to_s", "gap_minutes", "second_duration", "count"),
    [
        (2700, 45, 900, 3),  # exactly the limit: filled
        (2699, 45, 900, 0),  # one second short of the gap: not filled
        (0, 45, 900, 0),  # estimation off
        (3600, 45, 3600, 0),  # readings of different lengths
        (3600, 40, 900, 0),  # not a whole number of intervals
    ],
)
def test_interpolation_fills_only_whole_gaps_up_to_the_limit(
    up_to_s, gap_minutes, second_duration, count
):
    previous = vee.Accepted(7, at(22, 17), at(22, 17, 15), 900, 100, "ACTUAL", "line 2")
    start = at(22, 17, 15) + timedelta(minutes=gap_minutes)
    current = vee.Accepted(
        7,
        start,
        start + timedelta(seconds=second_duration),
        second_duration,
        200,
        "ACTUAL",
        "line 3",
    )

    assert len(vee.interpolate(previous, current, up_to_s=up_to_s)) == count


def test_no_interpolation_without_a_gap():
    previous = vee.Accepted(7, at(22, 17), at(22, 17, 15), 900, 100, "ACTUAL", "line 2")
    current = vee.Accepted(7, at(22, 17, 15), at(22, 17, 30), 900, 200, "ACTUAL", "line 3")

    assert vee.interpolate(previous, current, up_to_s=3600) == []


def test_estimates_outside_the_enrollment_are_not_made():
    # Enrolled [00:00Z, 17:15Z) and [17:30Z, open): of the two missing quarter hours between
    # 17:00 and 17:45 only 17:30 lies in an enrollment, so only it is estimated.
    windows = facts(
        interpolate_up_to_s=1800, enrolled=((at(22, 0), at(22, 17, 15)), (at(22, 17, 30), None))
    )
    check, _ = validator(windows)
    only(check.check(reading(at(22, 17), wh=100)))

    gap, *estimates, accepted = check.check(reading(at(22, 17, 45), wh=400))

    assert [(e.start, e.wh) for e in estimates] == [(at(22, 17, 30), 300)]
    assert gap.reason.endswith("; 1 intervals estimated by linear interpolation")
    assert accepted.wh == 400


def test_row_problem_of_checks_an_estimate_against_the_row_rules():
    estimate = vee.Accepted(7, at(22, 17), at(22, 17, 15), 900, 100, "ESTIMATED", "x", True)

    assert vee.row_problem_of(estimate, facts=facts(), now=NOW) is None
    assert vee.row_problem_of(estimate, facts=facts(), now=at(22, 17, 10)) == (
        "start",
        "interval ending 2024-05-22T17:15:00+00:00 is in the future",
    )


def test_a_one_second_gap_between_one_second_readings_is_filled_up_to_one_second():
    # The smallest gap there is: 1 s missing between 1 s readings of 10 and 20 Wh, limit 1 s:
    # one estimate of 15 Wh, on the same channel.
    previous = vee.Accepted(9, at(22, 17), at(22, 17, 0, 1), 1, 10, "ACTUAL", "line 2")
    current = vee.Accepted(9, at(22, 17, 0, 2), at(22, 17, 0, 3), 1, 20, "ACTUAL", "line 3")

    estimates = vee.interpolate(previous, current, up_to_s=1)

    assert [(e.channel_id, e.start, e.duration_s, e.wh) for e in estimates] == [
        (9, at(22, 17, 0, 1), 1, 15)
    ]


def test_a_one_second_reading_is_accepted():
    check, _ = validator()

    assert isinstance(only(check.check(reading(at(22, 17), duration_s=1))), vee.Accepted)


def test_a_reading_longer_than_31_days_is_refused_and_31_days_accepted():
    check, _ = validator()
    # 2024-05-01 07:00Z is midnight in Los Angeles: a local-hour start for any length.
    month = check.check(reading(at(1, 7), duration_s=31 * 86_400, wh=0))
    longer = check.check(reading(at(1, 7), duration_s=31 * 86_400 + 1, wh=0))

    assert isinstance(only(month), vee.Accepted)
    assert rejection(longer) == (
        "duration",
        "duration 2678401 s is longer than 2678400 s (31 days)",
    )


def test_a_reading_ending_after_year_9999_is_refused_naming_its_start():
    check, _ = validator()

    late = reading(datetime(9999, 12, 31, 23, tzinfo=UTC), duration_s=7200)

    assert rejection(check.check(late)) == ("start", "the interval ends after year 9999")


def test_a_site_without_enrollments_is_named_not_enrolled():
    check, _ = validator(facts(enrolled=()))

    assert rejection(check.check(reading(at(22, 17)))) == (
        "start",
        "interval 2024-05-22T17:00:00+00:00 is outside every enrollment of the site (not enrolled)",
    )


def test_enrollment_dates_are_the_sites_local_dates_east_of_utc_too():
    # Tokyo is UTC+9: its midnight of 2024-03-01 is 2024-02-29 15:00Z, and of 2024-05-01 is
    # 2024-04-30 15:00Z. Named in UTC they would read 2024-02-29 and 2024-04-30.
    tokyo = ZoneInfo("Asia/Tokyo")
    window = (datetime(2024, 2, 29, 15, tzinfo=UTC), datetime(2024, 4, 30, 15, tzinfo=UTC))
    check, _ = validator(facts(zone=tokyo, enrolled=(window,)))

    assert rejection(check.check(reading(at(22, 15)))) == (
        "start",
        (
            "interval 2024-05-22T15:00:00+00:00 is outside every enrollment of the site "
            "(enrolled from 2024-03-01 until 2024-05-01)"
        ),
    )
