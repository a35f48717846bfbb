"""The admin applies the same rules as the enrollment import: a row saved there is valid too."""

import pytest

from accounts.models import Channel, Enrollment, Program
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    ProgramFactory,
    SiteFactory,
    UserFactory,
)


@pytest.fixture
def superuser_client(client, db):
    admin = UserFactory(email="root@utility.example.com", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_the_admin_refuses_a_charger_channel_on_a_revenue_meter_with_another_participants_charger(
    superuser_client,
):
    site = SiteFactory(account_number="CC-1")
    ChannelFactory(site=site, meter_id="RM-CC-1", kind=Channel.Kind.SITE_EXPORT)
    foreign_charger = ChargerFactory(external_id="CP-OTHER")  # at another participant's site

    response = superuser_client.post(
        "/admin/accounts/channel/add/",
        {
            "site": site.pk,
            "meter_id": "RM-CC-1",
            "kind": "EVSE_EXPORT",
            "charger": foreign_charger.pk,
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["charger"] == [
        f"charger CP-OTHER is installed at site {foreign_charger.site.account_number}, not at CC-1"
    ]
    assert list(Channel.objects.values_list("meter_id", "kind")) == [("RM-CC-1", "SITE_EXPORT")]


@pytest.mark.django_db
def test_the_admin_refuses_a_charger_channel_on_a_meter_that_is_a_revenue_meter(
    superuser_client,
):
    site = SiteFactory(account_number="CC-2")
    ChannelFactory(site=site, meter_id="RM-CC-2", kind=Channel.Kind.SITE_EXPORT)
    own_charger = ChargerFactory(site=site, external_id="CP-OWN")

    response = superuser_client.post(
        "/admin/accounts/channel/add/",
        {"site": site.pk, "meter_id": "RM-CC-2", "kind": "EVSE_EXPORT", "charger": own_charger.pk},
    )

    assert response.context["adminform"].form.errors["kind"] == [
        (
            "meter RM-CC-2 already has a SITE_EXPORT channel; a meter is either a revenue meter "
            "(SITE_*) or a charger sub-meter (EVSE_*)"
        )
    ]
    assert Channel.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_refuses_an_unknown_currency_and_a_code_that_is_not_a_slug(superuser_client):
    response = superuser_client.post(
        "/admin/accounts/program/add/",
        {
            "code": "nbt",
            "name": "N",
            "utility": "U",
            "timezone": "America/Los_Angeles",
            "currency": "XYZ",
        },
    )

    assert response.context["adminform"].form.errors["currency"] == [
        "'XYZ' is not an ISO 4217 currency code"
    ]
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_the_admin_refuses_an_enrollment_in_a_program_of_another_zone(superuser_client):
    site = SiteFactory(account_number="NY-1", timezone="America/New_York")
    program = ProgramFactory(code="la-export", timezone="America/Los_Angeles")

    response = superuser_client.post(
        "/admin/accounts/enrollment/add/",
        {
            "participant": site.participant.pk,
            "site": site.pk,
            "program": program.pk,
            "starts_on": "2025-01-01",
            "status": "ACTIVE",
        },
    )

    assert response.context["adminform"].form.non_field_errors() == [
        (
            "site NY-1 is in America/New_York but program la-export is in America/Los_Angeles; "
            "a site can only enroll in a program of its own zone"
        )
    ]
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_the_admin_stamps_the_creation_time_of_a_program_it_adds(superuser_client):
    response = superuser_client.post(
        "/admin/accounts/program/add/",
        {
            "code": "nbt",
            "name": "N",
            "utility": "U",
            "timezone": "America/Los_Angeles",
            "currency": "USD",
        },
    )

    assert response.status_code == 302
    assert Program.objects.get(code="nbt").created_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["upload", "uploadproblem", "reading", "readingrevision"])
def test_records_of_what_was_received_are_read_only_for_superusers_too(superuser_client, model):
    listing = superuser_client.get(f"/admin/metering/{model}/")
    adding = superuser_client.get(f"/admin/metering/{model}/add/")

    assert listing.status_code == 200
    assert adding.status_code == 403
    assert listing.context["cl"].model_admin.has_change_permission(listing.wsgi_request) is False
    assert listing.context["cl"].model_admin.has_delete_permission(listing.wsgi_request) is False


@pytest.mark.django_db
def test_the_admin_names_program_metering_settings_in_plain_english(superuser_client):
    page = superuser_client.get("/admin/").content.decode()

    assert "Program metering settings" in page
    assert "settingss" not in page
