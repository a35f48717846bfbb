"""An owner uploads with meter_id alone when the meter is theirs; the schema says so."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Site
from settlement.metering.models import Upload
from tests.metering_fixtures import canonical

# 2025-07-01 17:00 PDT: one quarter-hour of the imported owner's revenue meter RM-777.
ROW = "RM-777,2025-07-01T17:00:00-07:00,2025-07-01T17:15:00-07:00,2500,,ACTUAL"


def _post(user, content: bytes, **fields) -> object:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        "/api/v1/metering/uploads/",
        {"file": SimpleUploadedFile("data.csv", content), **fields},
        format="multipart",
    )


@pytest.mark.django_db
def test_an_owner_uploads_with_the_meter_id_alone(imported_owner):
    response = _post(imported_owner, canonical(ROW), meter_id="RM-777")

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["accepted"]) == ("PROCESSED", 1)
    upload = Upload.objects.get()
    assert upload.site == Site.objects.get(account_number="PDE-777")
    assert upload.sent_by == imported_owner


@pytest.mark.django_db
def test_an_owner_naming_neither_site_nor_meter_is_told_what_to_give(imported_owner):
    response = _post(imported_owner, canonical(ROW))

    # Staff may leave the site open; an owner's role may not: 403.
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "site_required",
        "message": "give site_id, or meter_id naming one of your meters",
        "details": {"site_id": ["give site_id, or meter_id naming one of your meters"]},
    }
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_an_owner_naming_someone_elses_meter_gets_404_and_nothing_is_stored(
    imported_owner, other_site
):
    response = _post(
        imported_owner, canonical(ROW.replace("RM-777", "OTHER-1")), meter_id="OTHER-1"
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "no meter 'OTHER-1' you can upload meter data for"
    )
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_the_schema_marks_file_as_the_one_required_binary_part(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    body = schema["paths"]["/api/v1/metering/uploads/"]["post"]["requestBody"]
    reference = body["content"]["multipart/form-data"]["schema"]["$ref"]
    upload_input = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert upload_input["required"] == ["file"]
    assert upload_input["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "The meter data file.",
    }
    assert "meter_id" in upload_input["properties"]["site_id"]["description"]
