"""Staff see a reading's current value and its earlier revisions, with their uploads."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from settlement.metering.models import Upload
from tests.metering_fixtures import canonical

# 2025-07-01 17:00 PDT = 2025-07-02 00:00Z: one quarter-hour of the revenue meter SITE-7.
START = "2025-07-01T17:00:00-07:00"
END = "2025-07-01T17:15:00-07:00"
START_UTC = dt.datetime(2025, 7, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def corrected_reading(site, run_ingest):
    """SITE-7 at 17:00 first read 2500 Wh, then corrected to 2410 Wh, then to 2400 Wh."""
    first = run_ingest(canonical(f"SITE-7,{START},{END},2500,,ACTUAL"), name="first.csv")[1]
    second = run_ingest(canonical(f"SITE-7,{START},{END},2410,,EDITED"), name="second.csv")[1]
    third = run_ingest(canonical(f"SITE-7,{START},{END},2400,,EDITED"), name="third.csv")[1]
    assert (first["accepted"], second["revised"], third["revised"]) == (1, 1, 1)
    return [Upload.objects.get(pk=summary["upload_id"]) for summary in (first, second, third)]


def _staff_api(reviewer) -> APIClient:
    client = APIClient()
    client.force_authenticate(reviewer)
    return client


QUERY = {"meter_id": "SITE-7", "kind": "SITE_EXPORT", "start": "2025-07-02T00:00:00Z"}


@pytest.mark.django_db
def test_the_api_shows_the_current_value_and_every_earlier_revision(corrected_reading, reviewer):
    first, second, third = corrected_reading

    response = _staff_api(reviewer).get("/api/v1/staff/metering/readings/", QUERY)

    assert response.status_code == 200
    body = response.json()
    assert (body["meter_id"], body["kind"], body["timezone"]) == (
        "SITE-7",
        "SITE_EXPORT",
        "America/Los_Angeles",
    )
    assert dt.datetime.fromisoformat(body["start"]) == START_UTC
    current = body["current"]
    assert (current["revision"], current["wh"], current["quality"], current["upload_id"]) == (
        3,
        2400,
        "EDITED",
        third.pk,
    )
    assert current["superseded_by_id"] is None
    assert [
        (
            value["revision"],
            value["wh"],
            value["quality"],
            value["upload_id"],
            value["superseded_by_id"],
        )
        for value in body["earlier"]
    ] == [(2, 2410, "EDITED", second.pk, third.pk), (1, 2500, "ACTUAL", first.pk, second.pk)]


@pytest.mark.django_db
def test_an_owner_is_refused_the_staff_reading_history(corrected_reading, imported_owner):
    client = APIClient()
    client.force_authenticate(imported_owner)

    response = client.get("/api/v1/staff/metering/readings/", QUERY)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_a_reading_that_does_not_exist_is_404(site, reviewer):
    response = _staff_api(reviewer).get(
        "/api/v1/staff/metering/readings/", {**QUERY, "start": "2025-07-02T00:15:00Z"}
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "no reading of SITE-7/SITE_EXPORT starting 2025-07-02T00:15:00+00:00"
    )


@pytest.mark.django_db
def test_the_staff_page_shows_the_history_in_the_sites_local_time(
    corrected_reading, client_for, reviewer
):
    response = client_for(reviewer).get(
        "/staff/metering/readings/",
        {"meter": "SITE-7", "kind": "SITE_EXPORT", "start": START},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "SITE-7 · SITE_EXPORT · 2025-07-01 17:00 PDT (America/Los_Angeles)" in page
    assert "3 (current)" in page
    assert page.index("2410") < page.index("2500")


@pytest.mark.django_db
def test_the_upload_page_links_the_readings_it_revised(corrected_reading, client_for, reviewer):
    _, second, _ = corrected_reading

    page = client_for(reviewer).get(f"/staff/metering/uploads/{second.pk}/").content.decode()

    assert "Readings this upload revised" in page
    assert "2500 Wh (revision 1, ACTUAL)" in page
    assert (
        "/staff/metering/readings/?meter=SITE-7&amp;kind=SITE_EXPORT&amp;start=2025-07-02T00%3A00%3A00%2B00%3A00"
        in page
    )


@pytest.mark.django_db
def test_the_upload_list_shows_revised_counts_and_the_sender(
    corrected_reading, client_for, reviewer
):
    page = client_for(reviewer).get("/staff/metering/uploads/").content.decode()

    assert "<th>Revised</th>" in page
    assert "<th>Sender</th>" in page
    assert page.count('<span class="muted">command line</span>') == 3
