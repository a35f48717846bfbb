"""The MQTT notifier binding against the broker on 127.0.0.1:1883 (Mosquitto).

A VEN subscribes, with paho, to the topics the VTN gives it; an event created and modified
through the VTN reaches its VEN-scoped topic within seconds, and never the topic of the VEN
whose participants have no offer. Each test uses its own topic prefix: the broker is shared.
"""

import json
import os
import queue
import socket
import uuid

import pytest
from django.test import Client
from paho.mqtt.client import Client as MqttClient
from paho.mqtt.client import MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion

from tests.openadr_fixtures import BASE, World, bearer, future_hour, make_world, token_for

BROKER = ("127.0.0.1", 1883)
REQUIRED = os.environ.get("OPENADR_CLIENT_REQUIRED") == "1"

pytestmark = pytest.mark.django_db


def _broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def broker(settings) -> str:
    if not _broker_up():
        if REQUIRED:
            pytest.fail("no MQTT broker on 127.0.0.1:1883")
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    prefix = f"test-{uuid.uuid4().hex}/"
    settings.OPENADR_MQTT_BROKER_URL = "mqtt://127.0.0.1:1883"
    settings.OPENADR_MQTT_CLIENT_URIS = ["mqtt://127.0.0.1:1883"]
    settings.OPENADR_MQTT_TOPIC_PREFIX = prefix
    return prefix


def _event_body(start: str, price: str) -> str:
    return (
        f'{{"programID": "elrp", "intervalPeriod": {{"start": "{start}", "duration": "PT1H"}}, '
        f'"intervals": [{{"id": 0, "payloads": [{{"type": "EXPORT_PRICE", "values": [{price}]}}]}}]}}'
    )


def test_a_ven_hears_of_its_events_on_its_own_topics_only(
    client: Client, broker: str, django_capture_on_commit_callbacks, tasks_in_process: None
) -> None:
    world: World = make_world()
    token_a = token_for(client, world.ven_a)
    token_b = token_for(client, world.ven_b)
    ven_a = client.post(
        f"{BASE}/vens", '{"venName": "ven-a"}', content_type="application/json", **bearer(token_a)
    ).json()
    ven_b = client.post(
        f"{BASE}/vens", '{"venName": "ven-b"}', content_type="application/json", **bearer(token_b)
    ).json()
    binding = client.get(f"{BASE}/notifiers", **bearer(token_a)).json()
    topics_a = client.get(
        f"{BASE}/notifiers/mqtt/topics/vens/{ven_a['id']}/events", **bearer(token_a)
    ).json()["topics"]
    topics_b = client.get(
        f"{BASE}/notifiers/mqtt/topics/vens/{ven_b['id']}/events", **bearer(token_b)
    ).json()["topics"]
    received: queue.Queue[tuple[str, dict[str, object]]] = queue.Queue()

    def on_message(_client: MqttClient, _userdata: object, message: MQTTMessage) -> None:
        received.put((message.topic, json.loads(message.payload)))

    listener = MqttClient(CallbackAPIVersion.VERSION2)
    listener.on_message = on_message
    listener.connect(*BROKER)
    listener.subscribe([(topics_a["ALL"], 1), (topics_b["ALL"], 1)])
    listener.loop_start()
    try:
        bl = token_for(client, world.utility)
        start = future_hour().isoformat()
        with django_capture_on_commit_callbacks(execute=True):
            event = client.post(
                f"{BASE}/events",
                _event_body(start, "0.5"),
                content_type="application/json",
                **bearer(bl),
            ).json()
        with django_capture_on_commit_callbacks(execute=True):
            client.put(
                f"{BASE}/events/{event['id']}",
                _event_body(start, "0.6"),
                content_type="application/json",
                **bearer(bl),
            )
        first = received.get(timeout=10)
        second = received.get(timeout=10)
    finally:
        listener.loop_stop()
        listener.disconnect()

    assert binding == {
        "WEBHOOK": True,
        "MQTT": {
            "URIS": ["mqtt://127.0.0.1:1883"],
            "serialization": "JSON",
            "authentication": {"method": "ANONYMOUS"},
        },
    }
    assert topics_a == {
        "CREATE": f"{broker}events/vens/{ven_a['id']}/create",
        "UPDATE": f"{broker}events/vens/{ven_a['id']}/update",
        "DELETE": f"{broker}events/vens/{ven_a['id']}/delete",
        "ALL": f"{broker}events/vens/{ven_a['id']}/+",
    }
    assert (first[0], first[1]["operation"]) == (topics_a["CREATE"], "CREATE")
    assert (second[0], second[1]["operation"]) == (topics_a["UPDATE"], "UPDATE")
    assert second[1]["object"]["intervals"][0]["payloads"][0]["values"] == [0.6]
    # VEN B's participants have no offer in the event: nothing on its topic.
    assert received.empty()
