"""The MQTT notifier binding: topic names, and publishing notifications to the broker.

Topics follow the names of the 3.1.0 "notifications via additional protocols" document
(`events/create`, `events/programs/{programID}/update`, `events/vens/{venID}/delete`...),
under `OPENADR_MQTT_TOPIC_PREFIX`. An event's notification goes to the all-events topic and
its program's topic (both for business-logic clients only: the broker's ACL must keep VENs
off them) and to the VEN-scoped topic of every VEN that may read the event, so a VEN that
subscribes to its own topics hears only of events it could read over REST.
"""

from urllib.parse import urlsplit

from django.conf import settings
from paho.mqtt import MQTTException, publish

OPERATIONS = ("CREATE", "UPDATE", "DELETE")


class PublishFailed(Exception):
    """The broker could not be reached or refused the connection: try again later."""


def enabled() -> bool:
    """Return whether the MQTT binding is configured (a broker to publish to)."""
    return bool(settings.OPENADR_MQTT_BROKER_URL)


def binding() -> dict[str, object]:
    """Return the spec's `mqttNotifierBindingObject` of this VTN.

    The broker is anonymous: who may subscribe to what is the broker's ACL (see
    docs/openadr.md), as the spec leaves broker authorization out of band.
    """
    return {
        "URIS": list(settings.OPENADR_MQTT_CLIENT_URIS),
        "serialization": "JSON",
        "authentication": {"method": "ANONYMOUS"},
    }


def topics(*, base: str) -> dict[str, str]:
    """Return the `notifierOperationsTopics` under `base` (`events/programs/elrp`).

    The topics of one existing object (`programs/elrp`) include CREATE too, though nothing
    is published there (the object exists already): the spec's schema allows it, and the
    ElaadNL client (2.4.2) cannot read topics without it.
    """
    root = f"{settings.OPENADR_MQTT_TOPIC_PREFIX}{base}"
    return {
        "CREATE": f"{root}/create",
        "UPDATE": f"{root}/update",
        "DELETE": f"{root}/delete",
        "ALL": f"{root}/+",
    }


def event_topics(*, program_code: str, operation: str) -> list[str]:
    """Return the business-logic topics an event `operation` is published to."""
    name = operation.lower()
    bases = ["events", f"events/programs/{program_code}"]
    return [f"{settings.OPENADR_MQTT_TOPIC_PREFIX}{base}/{name}" for base in bases]


def ven_event_topic(*, ven_id: int, operation: str) -> str:
    """Return the VEN-scoped topic of an event `operation` (for a VEN that may read it)."""
    return f"{settings.OPENADR_MQTT_TOPIC_PREFIX}events/vens/{ven_id}/{operation.lower()}"


def publish_all(*, messages: list[tuple[str, str]]) -> None:
    """Publish each `(topic, body)` at QoS 1 over one connection.

    Raises PublishFailed when the broker cannot be reached.
    """
    if not messages:
        return
    broker = urlsplit(settings.OPENADR_MQTT_BROKER_URL)
    try:
        publish.multiple(
            [{"topic": topic, "payload": body, "qos": 1} for topic, body in messages],
            hostname=broker.hostname or "127.0.0.1",
            port=broker.port or 1883,
            keepalive=10,
        )
    # OSError: unreachable; MQTTException: the broker refused the connection.
    except (OSError, MQTTException) as error:
        raise PublishFailed(f"{broker.netloc}: {error}") from error
