"""Event targets: meter or charger ids choosing which eligible enrollments get offers.

Alice (aggregator A) and Carol (aggregator B) are both enrolled in `elrp`. A target naming
Carol's charger offers the event to Carol alone, so VEN B reads it and VEN A does not; an
event without targets goes to both. A VEN sees only the targets that are its own.
"""

import json

import pytest
from django.test import Client

from settlement.events.models import DispatchEvent, Offer
from settlement.metering.models import AggregatorParticipant
from settlement.openadr.models import EventOrigin
from tests.event_fixtures import Owner
from tests.openadr_fixtures import BASE, World, bearer, future_hour, make_world, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def carol(world: World) -> Owner:
    owner = Owner(world.program, email="carol@example.com")
    AggregatorParticipant.objects.create(
        aggregator=world.aggregator_b, participant=owner.participant
    )
    return owner


def _body(targets: list[str] | None, *, price: str = "0.5") -> str:
    start = future_hour()
    return (
        f'{{"programID": "elrp", "targets": {json.dumps(targets)}, "intervalPeriod": '
        f'{{"start": "{start.isoformat()}", "duration": "PT1H"}}, "intervals": [{{"id": 0, '
        f'"payloads": [{{"type": "EXPORT_PRICE", "values": [{price}]}}]}}]}}'
    )


def _post(client: Client, body: str, token: str):
    return client.post(f"{BASE}/events", body, content_type="application/json", **bearer(token))


def test_a_target_naming_a_charger_offers_to_its_enrollment_only(
    client: Client, world: World, carol: Owner
) -> None:
    charger = carol.export.charger.external_id
    answer = _post(client, _body([charger]), token_for(client, world.utility))

    assert answer.status_code == 201, answer.content
    event = DispatchEvent.objects.get()
    assert [offer.participant for offer in Offer.objects.all()] == [carol.participant]
    assert answer.json()["targets"] == [charger]
    assert EventOrigin.objects.get(event=event).targets == [charger]
    token_a = token_for(client, world.ven_a)
    token_b = token_for(client, world.ven_b)
    assert client.get(f"{BASE}/events", **bearer(token_a)).json() == []
    seen_by_b = client.get(f"{BASE}/events", {"targets": charger}, **bearer(token_b)).json()
    assert [(item["id"], item["targets"]) for item in seen_by_b] == [(str(event.pk), [charger])]


def test_a_ven_sees_only_its_own_targets_and_meters_target_too(
    client: Client, world: World, carol: Owner
) -> None:
    alice_meter = world.alice.export.meter_id
    carol_charger = carol.export.charger.external_id
    answer = _post(client, _body([alice_meter, carol_charger]), token_for(client, world.utility))
    assert answer.status_code == 201, answer.content

    seen_by_a = client.get(f"{BASE}/events", **bearer(token_for(client, world.ven_a))).json()
    asked_for_other = client.get(
        f"{BASE}/events", {"targets": carol_charger}, **bearer(token_for(client, world.ven_a))
    ).json()

    assert sorted(offer.participant.email for offer in Offer.objects.all()) == [
        "alice@example.com",
        "carol@example.com",
    ]
    assert [item["targets"] for item in seen_by_a] == [[alice_meter]]
    assert asked_for_other == []


def test_an_event_without_targets_is_offered_to_the_whole_program(
    client: Client, world: World, carol: Owner
) -> None:
    answer = _post(client, _body(None), token_for(client, world.utility))

    assert answer.status_code == 201, answer.content
    assert answer.json()["targets"] is None
    assert Offer.objects.count() == 2
    for ven in (world.ven_a, world.ven_b):
        seen = client.get(f"{BASE}/events", **bearer(token_for(client, ven))).json()
        assert [item["id"] for item in seen] == [answer.json()["id"]]


def test_an_unknown_target_is_a_problem_and_nothing_is_made(
    client: Client, world: World, carol: Owner
) -> None:
    answer = _post(
        client, _body(["SM-nowhere", world.bob.export.meter_id]), token_for(client, world.utility)
    )

    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["details"] == {
        "errors": [
            {
                "field": "targets",
                "reason": "no meter or charger enrolled in elrp: "
                + ", ".join(sorted(["SM-nowhere", world.bob.export.meter_id])),
            }
        ]
    }
    assert DispatchEvent.objects.count() == 0


def test_targets_cannot_change_on_modification(client: Client, world: World, carol: Owner) -> None:
    token = token_for(client, world.utility)
    charger = carol.export.charger.external_id
    made = _post(client, _body([charger]), token).json()

    moved = client.put(
        f"{BASE}/events/{made['id']}",
        _body([world.alice.export.meter_id], price="0.6"),
        content_type="application/json",
        **bearer(token),
    )
    kept = client.put(
        f"{BASE}/events/{made['id']}",
        _body(None, price="0.6"),
        content_type="application/json",
        **bearer(token),
    )

    assert moved.status_code == 400
    assert moved.json()["detail"].startswith("targets: an event's targets cannot change")
    assert kept.status_code == 200, kept.content
    assert kept.json()["targets"] == [charger]
    assert kept.json()["modificationNumber"] == 1
