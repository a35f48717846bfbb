"""Program administrators change a program's settings on its staff page and over the API."""

from decimal import Decimal

import pytest

from accounts import roles
from accounts.models import Participant, ProgramSettingsChange
from settlement.metering.models import ProgramMeteringSettings
from settlement.payouts import queries as payout_queries
from settlement.payouts.models import ParticipantTaxForm, ProgramPayoutSettings
from settlement.statements.models import ProgramSettlementSettings
from tests.factories import ParticipantFactory, ProgramFactory, UserFactory

THRESHOLDS = {
    "review_cap": "750.00",
    "two_approver_amount": "2000.00",
    "change_factor": "3.00",
    "data_quality_share": "0.050",
    "settle_after_days": 5,
}


@pytest.fixture
def administrator(staff_roles):
    user = UserFactory(email="boss@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    return user


@pytest.fixture
def program(db):
    return ProgramFactory(code="nbt-export", timezone="America/Los_Angeles")


@pytest.mark.django_db
def test_an_administrator_sets_review_thresholds_over_the_api_and_it_is_audited(
    client_for, administrator, program
):
    response = client_for(administrator).post(
        "/api/v1/staff/programs/nbt-export/settings/settlement/", THRESHOLDS, format="json"
    )

    assert response.status_code == 200
    assert response.json()["settlement"] == THRESHOLDS
    saved = ProgramSettlementSettings.objects.get(program=program)
    assert (saved.review_cap, saved.two_approver_amount) == (Decimal("750.00"), Decimal("2000.00"))
    change = ProgramSettingsChange.objects.get()
    assert (change.section, change.changed_by, change.before, change.after) == (
        "SETTLEMENT",
        administrator,
        {},
        THRESHOLDS,
    )


@pytest.mark.django_db
def test_the_same_values_again_write_no_audit_row(client_for, administrator, program):
    client = client_for(administrator)
    url = "/api/v1/staff/programs/nbt-export/settings/settlement/"
    client.post(url, THRESHOLDS, format="json")
    client.post(url, {**THRESHOLDS, "review_cap": "800.00"}, format="json")
    client.post(url, {**THRESHOLDS, "review_cap": "800.00"}, format="json")

    assert list(ProgramSettingsChange.objects.order_by("pk").values_list("before", "after")) == [
        ({}, THRESHOLDS),
        (THRESHOLDS, {**THRESHOLDS, "review_cap": "800.00"}),
    ]


@pytest.mark.django_db
def test_a_reviewer_may_read_but_not_change_settings(client_for, reviewer, program):
    client = client_for(reviewer)

    read = client.get("/api/v1/staff/programs/nbt-export/settings/")
    response = client.post(
        "/api/v1/staff/programs/nbt-export/settings/settlement/", THRESHOLDS, format="json"
    )

    assert read.status_code == 200
    assert read.json()["settlement"] == {
        "review_cap": "500.00",
        "two_approver_amount": "1000.00",
        "change_factor": "3.00",
        "data_quality_share": "0.050",
        "settle_after_days": 3,
    }
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_program_administrator"
    assert not ProgramSettlementSettings.objects.exists()
    assert not ProgramSettingsChange.objects.exists()


@pytest.mark.django_db
def test_an_administrator_sets_metering_over_the_api_and_it_is_audited(
    client_for, administrator, program
):
    metering = {
        "interpolate_gaps_up_to_minutes": 60,
        "site_max_kw": "25.000",
        "source_precedence": ["AGGREGATOR", "UTILITY", "CHARGER", "OWNER"],
    }

    response = client_for(administrator).post(
        "/api/v1/staff/programs/nbt-export/settings/metering/", metering, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["metering"] == metering
    saved = ProgramMeteringSettings.objects.get(program=program)
    assert (saved.interpolate_gaps_up_to_minutes, saved.site_max_kw, saved.source_precedence) == (
        60,
        Decimal("25.000"),
        ["AGGREGATOR", "UTILITY", "CHARGER", "OWNER"],
    )
    change = ProgramSettingsChange.objects.get()
    assert (change.section, change.changed_by, change.after) == (
        "METERING",
        administrator,
        metering,
    )


@pytest.mark.django_db
def test_a_refused_value_names_its_field_and_saves_nothing(client_for, administrator, program):
    response = client_for(administrator).post(
        "/api/v1/staff/programs/nbt-export/settings/metering/",
        {
            "interpolate_gaps_up_to_minutes": 2000,
            "site_max_kw": "0",
            "source_precedence": ["METER"],
        },
        format="json",
    )

    # The API's serializer states the operation's bounds (so the schema does): it refuses
    # first, naming each field.
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "interpolate_gaps_up_to_minutes": ["Ensure this value is less than or equal to 1440."],
        "site_max_kw": ["Ensure this value is greater than or equal to 0.001."],
        "source_precedence.0": ['"METER" is not a valid choice.'],
    }
    assert not ProgramMeteringSettings.objects.exists()
    assert not ProgramSettingsChange.objects.exists()


@pytest.mark.django_db
def test_an_administrator_sets_payouts_on_the_staff_page(client_for, administrator, program):
    response = client_for(administrator).post(
        "/staff/programs/nbt-export/settings/",
        {
            "section": "payout",
            "payout-method": "BILL_CREDIT",
            "payout-minimum_cents": "1000",
            "payout-tax_form": "1099-MISC",
            "payout-organization_tax_form": "NONE",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert b"nbt-export payout settings: created." in response.content
    saved = ProgramPayoutSettings.objects.get(program=program)
    assert (saved.method, saved.minimum_cents, saved.tax_form, saved.organization_tax_form) == (
        "BILL_CREDIT",
        1000,
        "1099-MISC",
        "NONE",
    )
    assert ProgramSettingsChange.objects.get().section == "PAYOUT"


@pytest.mark.django_db
def test_the_tax_form_follows_the_participant_kind_unless_overridden(program):
    settings = ProgramPayoutSettings(
        program=program, method="MANUAL", tax_form="1099-MISC", organization_tax_form="NONE"
    )
    owner = ParticipantFactory(kind=Participant.Kind.INDIVIDUAL)
    district = ParticipantFactory(kind=Participant.Kind.ORGANIZATION)
    exempt_owner = ParticipantFactory(kind=Participant.Kind.INDIVIDUAL)
    ParticipantTaxForm.objects.create(participant=exempt_owner, tax_form="1099-NEC")

    forms = [
        payout_queries.tax_form_for(participant=participant, settings=settings)
        for participant in (owner, district, exempt_owner)
    ]

    assert forms == ["1099-MISC", "NONE", "1099-NEC"]
