"""What operators see of OpenADR: the clients page and an event's origin and VEN reads."""

import datetime as dt

import pytest
from django.test import Client

from accounts import roles
from settlement.openadr.models import OpenADRClient
from tests.event_fixtures import dispatch
from tests.factories import UserFactory
from tests.openadr_fixtures import BASE, World, bearer, future_hour, make_world, token_for

pytestmark = pytest.mark.django_db
PAGE = "/staff/openadr/clients/"


@pytest.fixture
def administrator(staff_roles):
    user = UserFactory(email="programs@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    return user


def test_a_program_administrator_makes_a_client_and_sees_its_secret_once(
    client: Client, administrator
) -> None:
    world: World = make_world()
    client.force_login(administrator)

    made = client.post(PAGE, {"name": "ven-c", "role": "VEN", "aggregator": world.aggregator_a.pk})
    listed = client.get(PAGE)

    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    stored = OpenADRClient.objects.get(name="ven-c")
    secret = made.context["made"].client_secret
    assert secret in made.content.decode()
    assert stored.client_id in made.content.decode()
    assert secret not in stored.secret_hash
    page = listed.content.decode()
    assert secret not in page
    assert "read_targets read_ven_objects write_reports write_subscriptions write_vens" in page
    assert "Aggregator A" in page
    assert "utility" in page


def test_a_ven_client_without_an_aggregator_is_refused_on_the_form(
    client: Client, administrator
) -> None:
    client.force_login(administrator)

    answer = client.post(PAGE, {"name": "ven-x", "role": "VEN"})

    assert answer.status_code == 200
    assert answer.context["made"] is None
    assert answer.context["form"].errors == {"aggregator": ["a VEN client needs an aggregator"]}
    assert not OpenADRClient.objects.filter(name="ven-x").exists()


def test_staff_without_the_role_get_the_404_page(client: Client, reviewer) -> None:
    client.force_login(reviewer)

    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"name": "x", "role": "BL"}).status_code == 404
    assert not OpenADRClient.objects.filter(name="x").exists()


def test_the_event_page_shows_the_events_origin_and_the_vens_that_read_it(
    client: Client, administrator
) -> None:
    world: World = make_world()
    start = future_hour()
    body = (
        f'{{"programID": "elrp", "eventName": "heat-wave", "intervalPeriod": {{"start": '
        f'"{start.isoformat()}", "duration": "PT1H"}}, "intervals": [{{"id": 0, "payloads": '
        '[{"type": "EXPORT_PRICE", "values": [0.5]}]}]}'
    )
    event = client.post(
        f"{BASE}/events",
        body,
        content_type="application/json",
        **bearer(token_for(client, world.utility)),
    ).json()
    ven_token = token_for(client, world.ven_a)
    client.post(
        f"{BASE}/vens", '{"venName": "ven-a"}', content_type="application/json", **bearer(ven_token)
    )
    client.get(f"{BASE}/events/{event['id']}", **bearer(ven_token))
    client.force_login(administrator)

    page = client.get(f"/staff/events/{event['id']}/").content.decode()

    assert (
        f"Created over OpenADR by <strong>utility</strong> ({world.utility.client.client_id})"
        in page
    )
    assert "“heat-wave”" in page
    assert "<td>ven-a</td><td>0</td>" in page
    staff_made = dispatch(world.program, start, start + dt.timedelta(hours=1))
    other = client.get(f"/staff/events/{staff_made.pk}/").content.decode()
    assert "Created on the staff page." in other
    assert "No VEN has read this event." in other
