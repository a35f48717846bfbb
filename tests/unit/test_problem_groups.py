"""Grouping an upload's report: one line per kind, field and reason, with count and span."""

import datetime as dt

from settlement.metering.problem_groups import group_problems


def _outside(hour: int) -> tuple[str, str, str, str]:
    start = dt.datetime(2014, 1, 1, 5, tzinfo=dt.UTC) + dt.timedelta(hours=hour)
    return (
        "REJECTED",
        f"line {hour + 2}",
        "start",
        f"interval {start.isoformat()} is outside every enrollment of the site",
    )


def test_216_rows_outside_the_enrollment_become_one_line_with_count_and_span():
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


def test_other_kinds_fields_and_reasons_stay_apart_in_order_of_first_appearance():
    rows = [
        ("REJECTED", "line 2", "wh", "negative energy -5 Wh on directional channel SITE_EXPORT"),
        _outside(1),
        ("REJECTED", "line 4", "wh", "negative energy -5 Wh on directional channel SITE_EXPORT"),
        ("REJECTED", "line 5", "wh", "negative energy -7 Wh on directional channel SITE_EXPORT"),
        (
            "GAP",
            "SITE-7",
            "start",
            "no data from 2014-01-01T06:00:00+00:00 to 2014-01-01T08:00:00+00:00",
        ),
    ]

    groups = group_problems(rows)

    assert [(g.kind, g.field, g.count, g.first_location, g.last_location) for g in groups] == [
        ("REJECTED", "wh", 2, "line 2", "line 4"),
        ("REJECTED", "start", 1, "line 3", "line 3"),
        ("REJECTED", "wh", 1, "line 5", "line 5"),
        ("GAP", "start", 1, "SITE-7", "SITE-7"),
    ]
    # A problem alone keeps its whole reason, instant included.
    assert groups[1].line() == (
        "line 3: interval 2014-01-01T06:00:00+00:00 is outside every enrollment of the site"
    )
    # Same reason, no instant: a count and the first and last place.
    assert groups[0].line() == (
        "2 rows, line 2 to line 4: negative energy -5 Wh on directional channel SITE_EXPORT"
    )


def test_instants_with_other_offsets_are_compared_in_utc():
    rows = [
        (
            "REJECTED",
            "line 2",
            "start",
            "interval ending 2030-01-01T00:00:00-08:00 is in the future",
        ),
        ("REJECTED", "line 3", "start", "interval ending 2030-01-01T07:00:00Z is in the future"),
    ]

    (group,) = group_problems(rows)

    # 00:00-08:00 is 08:00Z, later than 07:00Z.
    assert (group.first_at, group.last_at) == (
        dt.datetime(2030, 1, 1, 7, tzinfo=dt.UTC),
        dt.datetime(2030, 1, 1, 8, tzinfo=dt.UTC),
    )
    assert group.reason == "interval ending is in the future"
