"""A chunk's readings read on PostgreSQL (binary arrays) equal those the ORM reads."""

import datetime as dt

import numpy as np
import pytest
from django.db import connection

from accounts.models import Channel
from settlement.statements import periods
from settlement.statements.lines import inputs
from tests.settlement_fixtures import (
    LA,
    PEAK_HOURS,
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the binary aggregate is PostgreSQL's path"
    ),
]
JULY = periods.month("2025-07", time_zone=LA)


def _quality(local):
    if local.hour in PEAK_HOURS and local.day == 2:
        return "ESTIMATED"
    return "MISSING" if local.hour == 3 else ""


def test_the_postgresql_arrays_equal_the_orm_arrays_value_for_value(tmp_path):
    program = make_program()
    enroll(program, "a@example.com", "RM-A")
    enroll(program, "b@example.com", "RM-B")
    enroll(program, "c@example.com", "RM-C")  # no readings at all
    ingest_rows(
        tmp_path,
        hourly_rows("RM-A", dt.date(2025, 7, 1), 3, peak_or_off_peak(2500, 7), _quality)
        + hourly_rows("RM-B", dt.date(2025, 7, 30), 2, peak_or_off_peak(4999, 0)),
    )
    channels = list(Channel.objects.order_by("meter_id"))
    ids = [channel.pk for channel in channels]

    binary = inputs._rows_postgres(ids, JULY)
    portable = inputs._rows_portable(ids, JULY)

    assert sorted(binary) == sorted(portable) == ids[:2]
    for channel_id in ids[:2]:
        order = np.argsort(binary[channel_id][0], kind="stable")
        for got, expected in zip(binary[channel_id], portable[channel_id], strict=True):
            assert got.dtype == np.int64
            assert got[order].tolist() == expected.tolist()
    # By hand for RM-A: 3 days x 24 hours from 00:00 PDT on July 1 (07:00 UTC); quality codes
    # index inputs.QUALITIES: ACTUAL 0, ESTIMATED 1 (July 2 16:00), MISSING 6 (03:00).
    starts, durations, wh, revisions, qualities, own = (
        column[np.argsort(binary[ids[0]][0], kind="stable")] for column in binary[ids[0]]
    )
    assert starts[0] == int(dt.datetime(2025, 7, 1, 7, tzinfo=dt.UTC).timestamp())
    assert (len(starts), set(durations.tolist()), set(revisions.tolist())) == (72, {3600}, {1})
    assert wh[:5].tolist() == [7, 7, 7, 7, 7]
    assert qualities[3] == 6 and qualities[24 + 16] == 1 and qualities[0] == 0
    assert own.tolist() == [0] * 72
    assert set(binary[ids[1]][2].tolist()) == {4999, 0}


def test_a_reading_reaching_in_from_before_the_period_is_read_by_both_paths(tmp_path):
    # RM-A: June 30 21:00-22:00 PDT (ends before July: not read), then 22:00 PDT for 3 hours
    # (to 01:00 PDT July 1: read, its share is priced in July), then July 1 01:00 hourly.
    program = make_program()
    enroll(program, "a@example.com", "RM-A")
    june_30 = dt.datetime(2025, 7, 1, 4, tzinfo=dt.UTC)  # 21:00 PDT
    rows = [
        f"RM-A,{june_30.isoformat()},{(june_30 + dt.timedelta(hours=1)).isoformat()},5,,",
        (
            f"RM-A,{(june_30 + dt.timedelta(hours=1)).isoformat()},"
            f"{(june_30 + dt.timedelta(hours=4)).isoformat()},300,,"
        ),
    ]
    rows += hourly_rows("RM-A", dt.date(2025, 7, 1), 1, lambda local: 10)[1:]
    ingest_rows(tmp_path, rows)
    (channel,) = Channel.objects.all()

    binary = inputs._rows_postgres([channel.pk], JULY)[channel.pk]
    portable = inputs._rows_portable([channel.pk], JULY)[channel.pk]

    order = np.argsort(binary[0], kind="stable")
    assert [column[order].tolist() for column in binary] == [column.tolist() for column in portable]
    # The 3-hour reading first (June 30 22:00 PDT = July 1 05:00 UTC), then 23 hourly ones.
    assert portable[0][0] == int(dt.datetime(2025, 7, 1, 5, tzinfo=dt.UTC).timestamp())
    assert portable[1].tolist() == [3 * 3600] + [3600] * 23
    assert portable[2].tolist() == [300] + [10] * 23
