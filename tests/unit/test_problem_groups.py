"""Grouping an upload's report: one line per kind, field and reason, with rows and span."""

import datetime as dt

from settlement.metering.problem_groups import group_problems

JAN_1_05Z = dt.datetime(2014, 1, 1, 5, tzinfo=dt.UTC)


def _outside(hour: int) -> tuple[str, str, str, str, dt.datetime]:
    start = JAN_1_05Z + dt.timedelta(hours=hour)
    return (
        "REJECTED",
        f"line {hour + 2}",
        "start",
        f"interval {start.isoformat()} is outside every enrollment of the site",
        start,
    )


def test_216_rows_outside_the_enrollment_become_one_line_with_rows_and_span():
    rows = [_outside(hour) for hour in range(216)]

    (group,) = group_problems(rows)

    # 216 hours from 2014-01-01 05:00Z: the last starts 215 h later, 2014-01-10 04:00Z.
    assert group.as_dict() == {
        "kind": "REJECTED",
        "field": "start",
        "reason": "interval is outside every enrollment of the site",
        "count": 216,
        "first_location": "line 2",
        "last_location": "line 217",
        "first_at": "2014-01-01T05:00:00+00:00",
        "last_at": "2014-01-10T04:00:00+00:00",
        "line": "216 rows, 2014-01-01 05:00 to 2014-01-10 04:00 UTC (line 2 to line 217): "
        "interval is outside every enrollment of the site",
    }


def test_two_problems_of_one_line_are_one_row():
    # A canonical row whose export and import readings are both refused, for one reason.
    too_much = "negative energy -5 Wh on directional channel SITE_EXPORT"
    rows = [
        ("REJECTED", "line 5763", "wh", too_much, JAN_1_05Z),
        ("REJECTED", "line 5763", "wh", too_much, JAN_1_05Z),
    ]

    (group,) = group_problems(rows)

    assert (group.rows, group.first_location, group.last_location) == (1, "line 5763", "line 5763")
    assert group.line() == f"line 5763: {too_much}"
    assert group.as_dict()["count"] == 1


def test_two_lines_of_two_problems_each_are_two_rows_from_first_to_last_interval_start():
    reason = "negative energy -5 Wh on directional channel SITE_EXPORT"
    at_05 = JAN_1_05Z
    at_0515 = JAN_1_05Z + dt.timedelta(minutes=15)
    rows = [
        ("REJECTED", "line 7", "wh", reason, at_05),
        ("REJECTED", "line 7", "wh", reason, at_05),
        ("REJECTED", "line 8", "wh", reason, at_0515),
        ("REJECTED", "line 8", "wh", reason, at_0515),
    ]

    (group,) = group_problems(rows)

    assert group.line() == (
        "2 rows, 2014-01-01 05:00 to 2014-01-01 05:15 UTC (line 7 to line 8): " + reason
    )


def test_the_span_is_the_interval_start_even_when_the_reason_names_its_end():
    # Intervals 23:45-00:00 and 00:00-00:15 on the last night of 2029 (UTC): the reasons
    # name the ends, 00:00 and 00:15, the span is the starts, 23:45 and 00:00.
    first_start = dt.datetime(2029, 12, 31, 23, 45, tzinfo=dt.UTC)
    last_start = dt.datetime(2030, 1, 1, 0, 0, tzinfo=dt.UTC)
    rows = [
        (
            "REJECTED",
            "line 2",
            "start",
            "interval ending 2030-01-01T00:00:00+00:00 is in the future",
            first_start,
        ),
        (
            "REJECTED",
            "line 3",
            "start",
            "interval ending 2030-01-01T00:15:00+00:00 is in the future",
            last_start,
        ),
    ]

    (group,) = group_problems(rows)

    assert (group.first_at, group.last_at) == (first_start, last_start)
    assert group.line() == (
        "2 rows, 2029-12-31 23:45 to 2030-01-01 00:00 UTC (line 2 to line 3): "
        "interval ending is in the future"
    )


def test_starts_with_other_offsets_are_compared_in_utc():
    pacific = dt.timezone(dt.timedelta(hours=-8))
    rows = [
        # 00:00-08:00 is 08:00Z, later than 07:00Z.
        ("REJECTED", "line 2", "wh", "bad", dt.datetime(2030, 1, 1, 0, tzinfo=pacific)),
        ("REJECTED", "line 3", "wh", "bad", dt.datetime(2030, 1, 1, 7, tzinfo=dt.UTC)),
    ]

    (group,) = group_problems(rows)

    assert (group.first_at, group.last_at) == (
        dt.datetime(2030, 1, 1, 7, tzinfo=dt.UTC),
        dt.datetime(2030, 1, 1, 8, tzinfo=dt.UTC),
    )


def test_problems_without_an_interval_have_no_span():
    rows = [
        ("REJECTED", "line 2", "row", "expected 6 columns, got 3", None),
        ("REJECTED", "line 9", "row", "expected 6 columns, got 3", None),
    ]

    (group,) = group_problems(rows)

    assert (group.first_at, group.last_at) == (None, None)
    assert group.line() == "2 rows, line 2 to line 9: expected 6 columns, got 3"


def test_other_kinds_fields_and_reasons_stay_apart_in_order_of_first_appearance():
    negative_5 = "negative energy -5 Wh on directional channel SITE_EXPORT"
    rows = [
        ("REJECTED", "line 2", "wh", negative_5, JAN_1_05Z),
        _outside(1),
        ("REJECTED", "line 4", "wh", negative_5, JAN_1_05Z + dt.timedelta(hours=2)),
        (
            "REJECTED",
            "line 5",
            "wh",
            "negative energy -7 Wh on directional channel SITE_EXPORT",
            JAN_1_05Z + dt.timedelta(hours=3),
        ),
        (
            "GAP",
            "SITE-7",
            "start",
            "no data from 2014-01-01T06:00:00+00:00 to 2014-01-01T08:00:00+00:00",
            dt.datetime(2014, 1, 1, 6, tzinfo=dt.UTC),
        ),
    ]

    groups = group_problems(rows)

    assert [(g.kind, g.field, g.rows, g.first_location, g.last_location) for g in groups] == [
        ("REJECTED", "wh", 2, "line 2", "line 4"),
        ("REJECTED", "start", 1, "line 3", "line 3"),
        ("REJECTED", "wh", 1, "line 5", "line 5"),
        ("GAP", "start", 1, "SITE-7", "SITE-7"),
    ]
    # A problem alone keeps its whole reason, instant included.
    assert groups[1].line() == (
        "line 3: interval 2014-01-01T06:00:00+00:00 is outside every enrollment of the site"
    )
    assert groups[0].line() == (
        "2 rows, 2014-01-01 05:00 to 2014-01-01 07:00 UTC (line 2 to line 4): " + negative_5
    )
