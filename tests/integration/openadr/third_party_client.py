"""Run by Python 3.12 in `.venv-oadr`: ElaadNL's openadr3-client drives a live VTN.

Usage: third_party_client.py BASE_URL CONFIG_JSON. CONFIG_JSON holds the clients'
credentials, the program, the new event's start, the past event to report on with its
meter and hour, and the port of the webhook receiver this script serves.

The business-logic client creates an event; the VEN client registers, reads it, subscribes
by webhook (its receiver answers the VTN's echo challenge) and by MQTT (the client's own
MQTT client, on the topics the VTN gives its VEN), the business logic modifies the event,
and the VEN waits for both notifications; then it reports on the past event.
Prints one JSON line of what it saw; any failure raises (non-zero exit). Not collected by
pytest (no `test_` prefix) and never imported by the service: it is the outside client.
"""

import json
import queue
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from openadr3_client._auth.token_manager import OAuthTokenManagerConfig
from openadr3_client._models.common.interval import Interval
from openadr3_client._models.common.interval_period import IntervalPeriod
from openadr3_client.bl.http_factory import BusinessLogicHttpClientFactory
from openadr3_client.oadr310._vtn.http.subscriptions import SubscriptionsHttpInterface
from openadr3_client.oadr310._vtn.mqtt.client import MQTTClient
from openadr3_client.oadr310.models.event.event import EventUpdate, NewEvent
from openadr3_client.oadr310.models.event.event_payload import (
    EventPayload,
    EventPayloadDescriptor,
    EventPayloadType,
)
from openadr3_client.oadr310.models.report.report import NewReport, ReportResource
from openadr3_client.oadr310.models.report.report_payload import ReportPayload, ReportPayloadType
from openadr3_client.oadr310.models.subscriptions.subscription import (
    NewSubscription,
    Object,
    ObjectOperation,
    Operation,
)
from openadr3_client.oadr310.models.unit import Unit
from openadr3_client.oadr310.models.ven.ven import NewVenVenRequest
from openadr3_client.ven.http_factory import VirtualEndNodeHttpClientFactory
from openadr3_client.version import OADRVersion

WAIT_SECONDS = 20


class Receiver(BaseHTTPRequestHandler):
    """The VEN's webhook: answers the echo challenge, queues each notification."""

    notifications: "queue.Queue[dict[str, object]]" = queue.Queue()

    def do_GET(self) -> None:
        echo = parse_qs(urlsplit(self.path).query).get("echo", [""])[0]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(echo.encode())

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.notifications.put(
            {"authorization": self.headers.get("Authorization"), "body": json.loads(body)}
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def _event_payloads(price: float) -> dict[str, object]:
    return {
        "payload_descriptors": (
            EventPayloadDescriptor(
                payload_type=EventPayloadType.EXPORT_PRICE, units=Unit.KWH, currency="USD"
            ),
        ),
        "intervals": (
            Interval(
                id=0,
                payloads=(EventPayload(type=EventPayloadType.EXPORT_PRICE, values=(price,)),),
            ),
        ),
    }


def main() -> None:
    base_url, config_text = sys.argv[1], sys.argv[2]
    config = json.loads(config_text)
    receiver = ThreadingHTTPServer(("127.0.0.1", config["receiver_port"]), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    bl = BusinessLogicHttpClientFactory.create_http_bl_client(
        vtn_base_url=base_url,
        client_id=config["bl"]["client_id"],
        client_secret=config["bl"]["client_secret"],
        allow_insecure_http=True,
        version=OADRVersion.OADR_310,
    )
    start = datetime.fromisoformat(config["event_start"])
    window = IntervalPeriod(start=start, duration=timedelta(hours=2))
    created = bl.events.create_event(
        NewEvent(
            program_id=config["program"],
            event_name="client-made",
            interval_period=window,
            **_event_payloads(0.75),
        )
    )
    ven = VirtualEndNodeHttpClientFactory.create_http_ven_client(
        vtn_base_url=base_url,
        client_id=config["ven"]["client_id"],
        client_secret=config["ven"]["client_secret"],
        allow_insecure_http=True,
        version=OADRVersion.OADR_310,
    )
    registered = ven.vens.create_ven(NewVenVenRequest(ven_name="client-ven"))
    events = ven.events.get_events(target=None, pagination=None, program_id=config["program"])
    seen = [event for event in events if event.id == created.id]

    # MQTT: the binding and the VEN's own event topics, through the client's MQTT client.
    binding = ven.notifiers.get_notifiers().mqtt
    topics = ven.notifiers.get_event_topics_for_ven(registered.id).topics
    heard: queue.Queue[tuple[str, dict[str, object]]] = queue.Queue()
    mqtt = MQTTClient(mqtt_notifier_binding=binding)
    mqtt.on_message = lambda _client, _userdata, message: heard.put(
        (message.topic, json.loads(message.payload))
    )
    subscribed = threading.Event()
    mqtt.on_subscribe = lambda *_args: subscribed.set()
    broker = binding.uris[0]
    mqtt.connect(broker.host or "127.0.0.1", broker.port or 1883)
    mqtt.loop_start()
    mqtt.subscribe(topics.all, qos=1)
    if not subscribed.wait(WAIT_SECONDS):
        raise TimeoutError("the broker did not confirm the subscription")

    # Webhook: a subscription the VTN checks with its echo challenge before storing it.
    subscriptions = SubscriptionsHttpInterface(
        base_url,
        OAuthTokenManagerConfig(
            client_id=config["ven"]["client_id"],
            client_secret=config["ven"]["client_secret"],
            token_url=f"{base_url}/auth/token",
            scopes=None,
            audience=None,
        ),
        allow_insecure_http=True,
    )
    subscription = subscriptions.create_subscription(
        NewSubscription(
            client_name="client-ven",
            program_id=config["program"],
            object_operations=(
                ObjectOperation(
                    objects=(Object.EVENT,),
                    operations=(Operation.PUT,),
                    callback_url=f"http://127.0.0.1:{config['receiver_port']}/hook",
                    bearer_token="callback-secret",
                ),
            ),
        )
    )

    bl.events.update_event_by_id(
        created.id,
        EventUpdate(program_id=config["program"], interval_period=window, **_event_payloads(0.8)),
    )
    webhook = Receiver.notifications.get(timeout=WAIT_SECONDS)
    topic, message = heard.get(timeout=WAIT_SECONDS)
    mqtt.loop_stop()
    mqtt.disconnect()
    receiver.shutdown()

    report_hour = datetime.fromisoformat(config["report_hour"])
    report = ven.reports.create_report(
        NewReport(
            event_id=config["past_event"],
            client_name="client-ven",
            resources=(
                ReportResource(
                    resource_name=config["meter"],
                    interval_period=IntervalPeriod(start=report_hour, duration=timedelta(hours=1)),
                    intervals=(
                        Interval(
                            id=0,
                            payloads=(
                                ReportPayload(type=ReportPayloadType("EXPORT"), values=(3.5,)),
                            ),
                        ),
                    ),
                ),
            ),
        )
    )
    sys.stdout.write(
        json.dumps(
            {
                "event_id": created.id,
                "ven_id": registered.id,
                "ven_client_id": registered.client_id,
                "seen_event_ids": [event.id for event in events],
                "seen_payloads": [
                    [payload.type.value, list(payload.values)]
                    for event in seen
                    for interval in event.intervals or ()
                    for payload in interval.payloads
                ],
                "subscription_id": subscription.id,
                "webhook": webhook,
                "mqtt_topic": topic,
                "mqtt_topics": {"UPDATE": topics.update, "ALL": topics.all},
                "mqtt_message": message,
                "report_id": report.id,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
