"""Who may see what: owners, staff roles, the API's one error shape."""

import io

import pytest
from django.core import mail
from rest_framework.authtoken.models import Token

from accounts import operations, roles
from accounts.enrollment_file import read_enrollment_file
from accounts.models import Channel, Site
from tests.enrollment_import import HEADER, IMPORTED_AT
from tests.factories import TEST_PASSWORD, EnrollmentFactory, SiteFactory, UserFactory


@pytest.mark.django_db
def test_the_home_page_asks_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    assert b"Sign in" in login_page.content


@pytest.mark.django_db
def test_an_owner_signs_in_with_email_and_sees_only_their_enrollments(
    client, owner, owner_participant
):
    own_site = SiteFactory(participant=owner_participant, account_number="OWN-1")
    EnrollmentFactory(site=own_site, program__code="nbt", program__name="Net billing credits")
    EnrollmentFactory(site__account_number="OTHER-9", program__name="Someone else's program")

    response = client.post(
        "/accounts/login/", {"username": owner.email, "password": TEST_PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert b"Net billing credits" in response.content
    assert b"OWN-1" in response.content
    assert b"OTHER-9" not in response.content
    assert b"Someone else" not in response.content


@pytest.mark.django_db
def test_an_owner_cannot_open_the_admin(client_for, owner):
    response = client_for(owner).get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_staff_open_the_admin_and_staff_pages(client_for, reviewer):
    client = client_for(reviewer)

    assert client.get("/admin/").status_code == 200
    assert client.get("/staff/").status_code == 200


@pytest.mark.django_db
def test_roles_grant_exactly_their_permissions(staff_roles):
    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(staff_roles[roles.REVIEWER])
    approver = UserFactory(is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])
    administrator = UserFactory(is_staff=True)
    administrator.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])

    assert reviewer.has_perm("accounts.review_settlement")
    assert not reviewer.has_perm("accounts.approve_settlement")
    assert approver.has_perm("accounts.approve_settlement")
    assert not approver.has_perm("accounts.review_settlement")
    assert administrator.has_perm("accounts.change_enrollment")
    assert administrator.has_perm("tariffs.change_programtariff")
    assert administrator.has_perm("metering.change_programmeteringsettings")
    assert administrator.has_perm("tariffs.view_tariffversion")
    assert not administrator.has_perm("tariffs.change_tariffversion")
    assert not administrator.has_perm("accounts.approve_settlement")
    assert not reviewer.has_perm("accounts.change_enrollment")


@pytest.mark.django_db
def test_an_owner_gets_403_in_the_documented_shape_from_a_staff_api(api_client, owner):
    api_client.force_authenticate(owner)

    response = api_client.get("/api/v1/staff/participants/")

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "This endpoint is for utility staff.",
            "details": {},
        }
    }


@pytest.mark.django_db
def test_staff_list_participants_through_the_api(api_client, reviewer, owner_participant):
    api_client.force_authenticate(reviewer)

    response = api_client.get("/api/v1/staff/participants/")

    assert response.status_code == 200
    assert [row["email"] for row in response.json()] == ["owner@example.com"]


@pytest.mark.django_db
def test_an_anonymous_api_call_gets_401_in_the_documented_shape(api_client):
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert set(response.json()["error"]) == {"code", "message", "details"}


@pytest.mark.django_db
def test_a_machine_client_authenticates_with_a_token(api_client, owner, owner_participant):
    token_response = api_client.post(
        "/api/v1/auth/token/", {"username": owner.email, "password": TEST_PASSWORD}, format="json"
    )
    token = token_response.json()["token"]
    assert token == Token.objects.get(user=owner).key

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["participants"] == [
        {
            "id": owner_participant.pk,
            "kind": "INDIVIDUAL",
            "name": "Olivia Owner",
            "email": "owner@example.com",
        }
    ]


@pytest.mark.django_db
def test_me_lists_only_the_callers_enrollments(api_client, owner, owner_participant):
    EnrollmentFactory(site__participant=owner_participant, site__account_number="MINE")
    EnrollmentFactory(site__account_number="THEIRS")
    api_client.force_authenticate(owner)

    response = api_client.get("/api/v1/me/")

    assert [row["site_account"] for row in response.json()["enrollments"]] == ["MINE"]


@pytest.mark.django_db
def test_a_bad_token_request_gets_a_validation_error_in_the_documented_shape(api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "x@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "The request is not valid.",
            "details": {"password": ["This field is required."]},
        }
    }


@pytest.mark.django_db
def test_the_openapi_schema_and_docs_are_served(client, api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_password_reset_sends_a_link_by_email(client, owner):
    response = client.post("/accounts/password_reset/", {"email": owner.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert "/accounts/reset/" in mail.outbox[0].body


@pytest.mark.django_db
def test_me_lists_the_owners_sites_with_ids_zones_meters_and_channels(api_client, imported_owner):
    # A second meter with a charger, through the import as production does it.
    charger_row = (
        "ines@example.com,Ines Importada,INDIVIDUAL,nbt-export,PDE-777,America/Los_Angeles,"
        "SM-777,EVSE_EXPORT,CP-777,11.5,2025-03-01"
    )
    summary = operations.import_enrollments(
        rows=read_enrollment_file(io.BytesIO(f"{HEADER}\n{charger_row}\n".encode())),
        now=IMPORTED_AT,
    )
    assert summary.created == 1
    EnrollmentFactory(site__account_number="THEIRS")
    site = Site.objects.get(account_number="PDE-777")
    revenue = Channel.objects.get(meter_id="RM-777")
    sub_meter = Channel.objects.get(meter_id="SM-777")
    api_client.force_authenticate(imported_owner)

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["sites"] == [
        {
            "id": site.pk,
            "account_number": "PDE-777",
            "timezone": "America/Los_Angeles",
            "meters": [
                {
                    "meter_id": "RM-777",
                    "channels": [{"id": revenue.pk, "kind": "SITE_EXPORT", "charger": None}],
                },
                {
                    "meter_id": "SM-777",
                    "channels": [{"id": sub_meter.pk, "kind": "EVSE_EXPORT", "charger": "CP-777"}],
                },
            ],
        }
    ]
