"""Daily totals kept by ingestion (every store), by revisions, and by the rebuild command."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from settlement.metering.models import DailyTotal
from tests.integration.metering.test_ingest_paths import ingest
from tests.metering_fixtures import canonical

# Transactional, like the ingest paths: the pipelined store merges on its own connection.
pytestmark = pytest.mark.django_db(transaction=True)

# 23:45 UTC on 22 May is 16:45 in Los Angeles; 07:15 UTC on 23 May is 00:15 on the 23rd.
ROWS = (
    "SITE-7,2024-05-22T23:45:00Z,2024-05-23T00:00:00Z,2500,100,",
    "SITE-7,2024-05-23T06:45:00Z,2024-05-23T07:00:00Z,1000,0,ESTIMATED",
    "SITE-7,2024-05-23T07:15:00Z,2024-05-23T07:30:00Z,600,50,",
)


def totals() -> list[tuple]:
    return sorted(
        DailyTotal.objects.values_list(
            "channel__kind", "day", "export_wh", "import_wh", "readings", "estimated", "revised"
        )
    )


def test_an_upload_writes_the_local_days_it_touched_in_the_same_transaction(site, storage):
    ingest(canonical(*ROWS), storage)

    assert totals() == [
        ("SITE_EXPORT", dt.date(2024, 5, 22), 3500, 0, 2, 1, 0),
        ("SITE_EXPORT", dt.date(2024, 5, 23), 600, 0, 1, 0, 0),
        ("SITE_IMPORT", dt.date(2024, 5, 22), 0, 100, 2, 1, 0),
        ("SITE_IMPORT", dt.date(2024, 5, 23), 0, 50, 1, 0, 0),
    ]


def test_a_revision_recomputes_its_day_and_leaves_the_others(site, storage):
    ingest(canonical(*ROWS), storage)
    untouched = DailyTotal.objects.get(channel__kind="SITE_EXPORT", day=dt.date(2024, 5, 23))

    ingest(canonical("SITE-7,2024-05-22T23:45:00Z,2024-05-23T00:00:00Z,2700,,EDITED"), storage)

    revised = DailyTotal.objects.get(channel__kind="SITE_EXPORT", day=dt.date(2024, 5, 22))
    assert (revised.export_wh, revised.readings, revised.estimated, revised.revised) == (
        3700,
        2,
        2,
        1,
    )
    assert DailyTotal.objects.get(pk=untouched.pk).export_wh == 600


def test_a_rejected_file_writes_no_total(site, storage):
    ingest(canonical("SITE-7,2024-05-22T23:45:00Z,2024-05-22T23:30:00Z,2500,100,"), storage)

    assert totals() == []


def test_the_rebuild_command_recomputes_totals_lost_or_wrong(site, storage):
    ingest(canonical(*ROWS), storage)
    expected = totals()
    DailyTotal.objects.filter(day=dt.date(2024, 5, 22)).delete()
    DailyTotal.objects.filter(day=dt.date(2024, 5, 23)).update(export_wh=1)

    out = io.StringIO()
    call_command("rebuild_daily_totals", stdout=out)

    assert json.loads(out.getvalue()) == {"channels": 2, "days": 4}
    assert totals() == expected
