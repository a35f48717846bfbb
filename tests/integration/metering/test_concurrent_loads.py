"""Two `ingest` processes on the same channels at once (PostgreSQL, real OS processes)."""

import datetime as dt

import pytest
from django.db import connection

from accounts.models import Channel
from settlement.metering.models import Reading, ReadingRevision, Upload
from tests.factories import ChannelFactory, EnrollmentFactory, SiteFactory
from tests.integration.metering import processes
from tests.metering_fixtures import canonical

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="advisory locks between processes need PostgreSQL"
    ),
]

METERS = ["CC-A", "CC-B", "CC-C", "CC-D"]
INTERVALS = 1500
START = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def rows(meters: list[str], wh: int) -> list[str]:
    """Return one reading per meter and interval, meter by meter in the order given."""
    out = []
    for meter in meters:
        for k in range(INTERVALS):
            start = START + dt.timedelta(minutes=15 * k)
            end = start + dt.timedelta(minutes=15)
            out.append(f"{meter},{start.isoformat()},{end.isoformat()},{wh},,")
    return out


@pytest.fixture
def four_meters():
    site = SiteFactory(account_number="ACCT-CC", timezone="UTC")
    EnrollmentFactory(site=site, starts_on=dt.date(2024, 1, 1))
    for meter in METERS:
        ChannelFactory(site=site, meter_id=meter, kind=Channel.Kind.SITE_EXPORT)


def test_two_loads_of_four_meters_in_opposite_orders_keep_every_superseded_value(
    four_meters, tmp_path
):
    env = processes.environment(database=processes.database_url(), media=tmp_path / "media")
    first = tmp_path / "first.csv"
    forward, backward = tmp_path / "forward.csv", tmp_path / "backward.csv"
    first.write_bytes(canonical(*rows(METERS, 100)))
    forward.write_bytes(canonical(*rows(METERS, 200)))
    backward.write_bytes(canonical(*rows(METERS[::-1], 300)))
    assert processes.finished(processes.start_ingest(first, env))[0] == 0

    both = [processes.start_ingest(path, env) for path in (forward, backward)]
    results = [processes.finished(process) for process in both]

    readings = len(METERS) * INTERVALS
    assert [code for code, _ in results] == [0, 0]
    assert [summary["revised"] for _, summary in results] == [readings, readings]
    assert Reading.objects.count() == readings
    # Each reading went 100 -> one load's value -> the other's: revision 3, two old values.
    assert set(Reading.objects.values_list("revision", flat=True)) == {3}
    assert ReadingRevision.objects.count() == 2 * readings
    assert set(ReadingRevision.objects.filter(revision=1).values_list("wh", flat=True)) == {100}
    second_values = set(ReadingRevision.objects.filter(revision=2).values_list("wh", flat=True))
    current_values = set(Reading.objects.values_list("wh", flat=True))
    # Whole loads serialize per channel: a channel holds one load's value or the other's.
    for reading in Reading.objects.all()[:50]:
        old = reading.revisions.get(revision=2).wh
        assert {old, reading.wh} == {200, 300}
    assert second_values | current_values == {200, 300}
    assert Upload.objects.filter(status=Upload.Status.PROCESSED).count() == 3
