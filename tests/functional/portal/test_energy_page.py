"""My energy: daily and monthly kWh with quality and revisions, and an owner's upload."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from settlement.metering.models import Reading, Upload
from tests.metering_fixtures import canonical
from tests.portal_fixtures import owner_with_statements

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


def _today() -> dt.date:
    return timezone.now().astimezone(LA).date()


def test_the_page_shows_each_days_kwh_in_plain_words(client):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    client.force_login(owner.user)

    page = client.get("/energy/").content.decode()

    # 4 hours of 500 Wh a day: 2.0 kWh on each of the last two days.
    assert "Your home meter, exported" in page
    assert page.count("<td>2.0 kWh</td>") == 2
    assert "all measured" in page


@pytest.mark.usefixtures("media_in_tmp")
def test_an_owner_uploads_a_file_and_sees_it_processed(client):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    client.force_login(owner.user)
    site = owner.participant.sites.get()
    meter = site.channels.get().meter_id
    day = _today() - dt.timedelta(days=3)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=LA).astimezone(dt.UTC)
    end = start + dt.timedelta(hours=1)
    body = canonical(f"{meter},{start:%Y-%m-%dT%H:%M:%SZ},{end:%Y-%m-%dT%H:%M:%SZ},1500,,ACTUAL")
    before = Reading.objects.count()

    response = client.post(
        "/energy/",
        {"site": site.pk, "file": SimpleUploadedFile("usage.csv", body)},
        follow=True,
    )

    page = response.content.decode()
    upload = Upload.objects.get(sent_by=owner.user)
    assert upload.status == "PROCESSED"
    assert Reading.objects.count() == before + 1
    assert "usage.csv" in page and "1 readings stored, 0 revised, 0 rejected." in page


def test_a_missing_file_is_an_error_that_looks_like_one(client):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    client.force_login(owner.user)

    page = client.post("/energy/", {"site": owner.participant.sites.get().pk}).content.decode()

    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    assert not Upload.objects.filter(sent_by=owner.user).exists()


def test_the_page_costs_the_same_queries_for_more_readings(client):
    counts = []
    for email, older in (("small@example.com", 0), ("large@example.com", 6)):
        owner = owner_with_statements(email=email, today=_today(), older_months=older)
        client.force_login(owner.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/energy/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
