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

    admin = client.get("/admin/")
    staff_home = client.get("/staff/")

    assert admin.status_code == 200
    assert "Site administration" in admin.content.decode()
    assert staff_home.status_code == 200
    assert "Rate preview" in staff_home.content.decode()


def _crud(app_label, *models):
    return {
        f"{app_label}.{action}_{model}" for model in models for action in ("add", "change", "view")
    }


# Written from the roles' duties, not read from accounts.roles: reviewers prepare and check
# statements and look at who is enrolled; approvers release statements (a separate person);
# program administrators maintain programs, sites, enrollments, program tariffs and meter
# data settings and aggregator links, and may only view tariff versions (imported, never
# edited) and uploads.
EXPECTED_PERMISSIONS = {
    roles.REVIEWER: {
        "accounts.review_settlement",
        "accounts.view_participant",
        "accounts.view_site",
        "accounts.view_channel",
        "accounts.view_enrollment",
        "accounts.view_program",
    },
    roles.APPROVER: {
        "accounts.approve_settlement",
        "accounts.view_participant",
        "accounts.view_enrollment",
        "accounts.view_program",
    },
    roles.PROGRAM_ADMINISTRATOR: {
        "accounts.administer_program",
        *_crud("accounts", "participant", "site", "charger", "channel", "program", "enrollment"),
        *_crud("tariffs", "tariffplan"),
        *_crud("metering", "programmeteringsettings", "aggregator"),
        "tariffs.view_tariffversion",
        "metering.view_upload",
        # Whom an aggregator posts for: links are made, changed and removed.
        *_crud("metering", "aggregatorparticipant"),
        "metering.delete_aggregatorparticipant",
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(EXPECTED_PERMISSIONS))
def test_roles_grant_exactly_their_permissions(staff_roles, role):
    member = UserFactory(is_staff=True)
    member.groups.add(staff_roles[role])

    assert member.get_all_permissions() == EXPECTED_PERMISSIONS[role]


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
    assert response.json() == [
        {
            "id": owner_participant.pk,
            "kind": "INDIVIDUAL",
            "name": "Olivia Owner",
            "email": "owner@example.com",
        }
    ]


@pytest.mark.django_db
def test_an_anonymous_api_call_gets_401_in_the_documented_shape(api_client):
    response = api_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "details": {},
        }
    }


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
    EnrollmentFactory(
        site__participant=owner_participant, site__account_number="MINE", program__code="nbt"
    )
    EnrollmentFactory(site__account_number="THEIRS")
    api_client.force_authenticate(owner)

    response = api_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["enrollments"] == [
        {
            "program": "nbt",
            "site_account": "MINE",
            "starts_on": "2025-01-01",
            "ends_on": None,
            "status": "ACTIVE",
        }
    ]


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
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()


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
