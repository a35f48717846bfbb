"""The staff upload page: take a file, show its outcome, keep owners out."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from settlement.metering.models import Reading, Upload
from tests.factories import MembershipFactory, UserFactory
from tests.metering_fixtures import canonical

# 2,500 Wh in one quarter-hour on the site's revenue meter (within its 2024 enrollment).
ROW = "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,,"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(email="ops@utility.example.com", is_staff=True)


@pytest.mark.django_db
def test_staff_upload_a_file_and_land_on_its_summary(site, staff_user):
    client = signed_in(staff_user)

    response = client.post(
        "/staff/metering/uploads/",
        {"file": SimpleUploadedFile("day.csv", canonical(ROW)), "format": "canonical-csv"},
    )

    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/metering/uploads/{upload.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert '<strong id="status">PROCESSED</strong>' in page
    assert "Accepted 1, duplicates 0, revised 0, rejected 0" in page
    assert "<td>SITE-7</td><td>SITE_EXPORT</td><td>1</td><td>2500</td>" in page
    assert Reading.objects.get().wh == 2500


@pytest.mark.django_db
def test_the_upload_list_shows_recent_uploads(site, staff_user):
    client = signed_in(staff_user)
    client.post("/staff/metering/uploads/", {"file": SimpleUploadedFile("day.csv", canonical(ROW))})

    page = client.get("/staff/metering/uploads/").content.decode()

    assert "day.csv" in page


@pytest.mark.django_db
def test_a_rejected_file_shows_its_reason_on_the_page(site, staff_user):
    client = signed_in(staff_user)

    response = client.post(
        "/staff/metering/uploads/", {"file": SimpleUploadedFile("empty.csv", b"")}, follow=True
    )

    page = response.content.decode()
    assert '<strong id="status">REJECTED</strong>' in page
    assert "the file is empty (0 bytes)" in page
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_an_owner_cannot_use_the_staff_upload_page(site):
    owner = UserFactory(email="owner-7@example.com")
    MembershipFactory(user=owner, participant=site.participant)

    response = signed_in(owner).post(
        "/staff/metering/uploads/", {"file": SimpleUploadedFile("day.csv", canonical(ROW))}
    )

    # A staff page is not there for an owner: the app's 404 page, and nothing stored.
    assert response.status_code == 404
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_file_from_before_the_enrollment_is_reported_as_one_grouped_line(
    site, run_ingest, client_for, reviewer
):
    # 216 hourly rows from 2014-01-01 05:00Z; the site is enrolled from 2024-01-01.
    first = dt.datetime(2014, 1, 1, 5, tzinfo=dt.UTC)
    rows = [
        f"SITE-7,{(first + dt.timedelta(hours=h)).isoformat()},"
        f"{(first + dt.timedelta(hours=h + 1)).isoformat()},100,,ACTUAL"
        for h in range(216)
    ]
    code, answer = run_ingest(canonical(*rows))

    assert (code, answer["error"]["code"]) == (2, "upload_rejected")
    summary = answer["error"]["details"]
    assert summary["rejected"] == 216
    assert [group["line"] for group in summary["problem_groups"]] == [
        (
            "216 rows, 2014-01-01 05:00 to 2014-01-10 04:00 UTC (line 2 to line 217): "
            "interval is outside every enrollment of the site (enrolled from 2024-01-01)"
        ),
        # The file as a whole is rejected too: nothing in it could be accepted.
        "file: no reading of the file could be accepted; see the report",
    ]
    page = client_for(reviewer).get(f"/staff/metering/uploads/{summary['upload_id']}/")
    assert page.content.decode().count("outside every enrollment") == 1
    report = client_for(reviewer).get(f"/api/v1/metering/uploads/{summary['upload_id']}/report/")
    assert b"".join(report.streaming_content).decode().count("outside every enrollment") == 216
