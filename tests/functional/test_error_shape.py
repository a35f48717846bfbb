"""Every /api/ error answers the one JSON shape; pages answer the app's 404 page."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from settlement.metering import queries
from tests.factories import UserFactory


@pytest.fixture
def staff_user(db):
    return UserFactory(email="staff@example.com", is_staff=True)


def signed_in(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/nothing",
        "/api/v1/metering/uploads/null,null/",
        "/api/v1/metering/uploads/1.5/report/",
    ],
)
def test_an_unmatched_api_route_is_a_json_404(staff_user, path):
    response = signed_in(staff_user).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "details": {}}
    }


@pytest.mark.django_db
def test_an_api_server_error_is_json(staff_user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(queries, "access_upload", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(staff_user)

    response = client.get("/api/v1/metering/uploads/1/")

    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "server_error", "message": "A server error occurred.", "details": {}}
    }


@pytest.mark.django_db
def test_the_staff_page_of_a_missing_upload_is_the_apps_404_page(staff_user):
    client = Client()
    client.force_login(staff_user)

    response = client.get("/staff/metering/uploads/999999/")

    assert response.status_code == 404
    assert b'id="not-found"' in response.content
