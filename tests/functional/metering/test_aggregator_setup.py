"""A program administrator sets up an aggregator end to end, without a superuser."""

import pytest
from rest_framework.test import APIClient

from accounts import roles
from settlement.metering.models import Aggregator, Reading
from tests.factories import UserFactory


@pytest.fixture
def program_administrator(client, staff_roles):
    user = UserFactory(email="pat@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    client.force_login(user)
    return client


def _add_aggregator(client, participant_id: int, api_user: str) -> object:
    return client.post(
        "/admin/metering/aggregator/add/",
        {
            "name": "Fleet Aggregator",
            "new_api_user": api_user,
            "links-TOTAL_FORMS": "1",
            "links-INITIAL_FORMS": "0",
            "links-MIN_NUM_FORMS": "0",
            "links-MAX_NUM_FORMS": "1000",
            "links-0-participant": str(participant_id),
        },
        follow=True,
    )


@pytest.mark.django_db
def test_a_program_administrator_creates_an_aggregator_its_participant_and_api_token(
    program_administrator, site
):
    response = _add_aggregator(program_administrator, site.participant.pk, "api@fleet.example.com")

    assert response.status_code == 200
    aggregator = Aggregator.objects.get(name="Fleet Aggregator")
    assert list(aggregator.participants.all()) == [site.participant]
    (api_user,) = aggregator.users.all()
    assert (api_user.email, api_user.is_staff, api_user.has_usable_password()) == (
        "api@fleet.example.com",
        False,
        False,
    )
    token = api_user.auth_token.key
    message = str(next(iter(response.context["messages"])))
    assert f"token {token}" in message

    # The token posts a batch for the participant's meter.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    posted = client.post(
        "/api/v1/metering/batches/",
        {
            "idempotency_key": "fleet-1",
            "readings": [
                {
                    "meter_id": "SITE-7",
                    "flow": "EXPORT",
                    "start": "2024-05-22T17:00:00Z",
                    "duration_s": 900,
                    "wh": 250,
                    "quality": "ACTUAL",
                }
            ],
        },
        format="json",
    )
    assert posted.status_code == 201, posted.json()
    assert Reading.objects.get().wh == 250


@pytest.mark.django_db
def test_a_staff_address_cannot_become_an_aggregators_api_user(program_administrator, site):
    UserFactory(email="root@utility.example.com", is_staff=True)

    response = _add_aggregator(
        program_administrator, site.participant.pk, "root@utility.example.com"
    )

    assert response.context["adminform"].form.errors["new_api_user"] == [
        "root@utility.example.com is a staff account"
    ]
    assert not Aggregator.objects.exists()
