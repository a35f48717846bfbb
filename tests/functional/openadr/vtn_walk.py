"""One walk through every endpoint of the VTN, each answer handed to a check.

The spec contract test checks each answer against openadr3.yaml; the client-model test
checks each body with the third-party client's pydantic models. Both walk the same calls:
success and error of every operation, and a second VEN reading the first VEN's objects.
"""

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.test import Client

from tests.event_fixtures import dispatch
from tests.openadr_fixtures import BASE, World, bearer, future_hour, make_world, token_for

# answer, method, path template (as in openadr3.yaml), actual path
Check = Callable[[HttpResponse, str, str, str], None]


def configure(settings: Any) -> None:
    """Set what the walk needs: callbacks allowed (not served: no challenge), MQTT on."""
    settings.OPENADR_CALLBACK_ALLOWED_PREFIXES = [
        "https://ven-a.example.com/hooks/",
        "https://ven-b.example.com/hooks/",
    ]
    # The challenge has its own test (test_vtn); here the callbacks are not served.
    settings.OPENADR_SUBSCRIPTION_CHALLENGE = False
    settings.OPENADR_MQTT_BROKER_URL = "mqtt://127.0.0.1:1883"
    settings.OPENADR_MQTT_CLIENT_URIS = ["mqtt://127.0.0.1:1883"]


class Caller:
    """The Django test client, each answer handed to `check` as it comes."""

    def __init__(self, client: Client, check: Check) -> None:
        self.client = client
        self.check = check

    def __call__(
        self,
        method: str,
        template: str,
        *,
        token: str | None,
        path: str | None = None,
        body: str | None = None,
        query: dict[str, Any] | None = None,
    ) -> HttpResponse:
        actual = path or template
        headers = bearer(token) if token else {}
        send = getattr(self.client, method.lower())
        if body is not None:
            answer = send(f"{BASE}{actual}", body, content_type="application/json", **headers)
        else:
            answer = send(f"{BASE}{actual}", query or {}, **headers)
        self.check(answer, method, template, f"{BASE}{actual}")
        return answer


def _event_body(start: dt.datetime, *, price: str = "0.75", targets: str = "null") -> str:
    return (
        f'{{"programID": "elrp", "eventName": "contract", "targets": {targets}, '
        f'"intervalPeriod": {{"start": "{start.isoformat()}", "duration": "PT2H"}}, '
        '"intervals": [{"id": 0, "payloads": [{"type": "EXPORT_PRICE", "values": '
        f"[{price}]}}]}}]}}"
    )


def _report_body(event_id: str, meter: str, start: dt.datetime) -> str:
    return (
        f'{{"eventID": "{event_id}", "clientName": "ven-a", "payloadDescriptors": '
        '[{"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "EXPORT", "units": '
        f'"KWH"}}], "resources": [{{"resourceName": "{meter}", "intervalPeriod": {{"start": '
        f'"{start.isoformat()}", "duration": "PT1H"}}, "intervals": [{{"id": 0, "payloads": '
        '[{"type": "EXPORT", "values": [2.5]}]}]}]}'
    )


def _subscription_body(who: str, operations: list[str]) -> str:
    return (
        f'{{"clientName": "{who}", "programID": "elrp", "objectOperations": [{{"objects": '
        f'["EVENT"], "operations": {json.dumps(operations)}, "callbackUrl": '
        f'"https://{who}.example.com/hooks/{who}", "bearerToken": null}}]}}'
    )


def walk(client: Client, check: Check, *, operations: list[str]) -> None:
    """Call every operation of the VTN; a subscription lists `operations`."""
    call = Caller(client, check)
    world: World = make_world()
    bl = token_for(client, world.utility)
    ven_a = token_for(client, world.ven_a)
    ven_b = token_for(client, world.ven_b)

    # Authorization: discovery, a token, a refused client, a refused grant.
    call("get", "/auth/server", token=None)
    call(
        "post",
        "/auth/token",
        token=None,
        query={
            "grant_type": "client_credentials",
            "client_id": world.ven_a.client.client_id,
            "client_secret": world.ven_a.secret,
        },
    )
    call(
        "post",
        "/auth/token",
        token=None,
        query={
            "grant_type": "client_credentials",
            "client_id": world.ven_a.client.client_id,
            "client_secret": "wrong",
        },
    )
    call(
        "post",
        "/auth/token",
        token=None,
        query={
            "grant_type": "password",
            "client_id": world.ven_a.client.client_id,
            "client_secret": world.ven_a.secret,
        },
    )

    # Programs: read by both roles, one missing, paging refused beyond 50, writes refused.
    call("get", "/programs", token=bl)
    call("get", "/programs", token=ven_a)
    call("get", "/programs", token=None)
    call("get", "/programs", token=bl, query={"limit": 51})
    call("get", "/programs/{programID}", path="/programs/elrp", token=bl)
    call("get", "/programs/{programID}", path="/programs/nope", token=bl)
    call("get", "/programs/{programID}", path="/programs/other", token=ven_a)
    call("post", "/programs", token=bl, body='{"programName": "new"}')
    call("put", "/programs/{programID}", path="/programs/elrp", token=bl, body="{}")
    call("delete", "/programs/{programID}", path="/programs/elrp", token=bl)

    # VENs register; each sees only itself.
    made_a = call(
        "post", "/vens", token=ven_a, body='{"objectType": "VEN_VEN_REQUEST", "venName": "ven-a"}'
    ).json()
    made_b = call("post", "/vens", token=ven_b, body='{"venName": "ven-b"}').json()
    call("post", "/vens", token=ven_a, body='{"venName": "ven-a-again"}')
    call("post", "/vens", token=ven_a, body="{not json")
    assert [ven["venName"] for ven in call("get", "/vens", token=ven_b).json()] == ["ven-b"]
    call("get", "/vens", token=bl, query={"venName": "ven-a"})
    call("get", "/vens/{venID}", path=f"/vens/{made_a['id']}", token=ven_a)
    assert (
        call("get", "/vens/{venID}", path=f"/vens/{made_a['id']}", token=ven_b).status_code == 404
    )
    call(
        "put",
        "/vens/{venID}",
        path=f"/vens/{made_b['id']}",
        token=ven_b,
        body='{"venName": "ven-b-renamed"}',
    )
    call(
        "put",
        "/vens/{venID}",
        path=f"/vens/{made_a['id']}",
        token=ven_b,
        body='{"venName": "taken"}',
    )

    # Resources: the aggregator's meters, read by their VEN only.
    resources = call("get", "/resources", token=ven_a).json()
    assert resources
    assert call("get", "/resources", token=ven_b, query={"venID": made_a["id"]}).json() == []
    call("get", "/resources", token=bl, query={"resourceName": resources[0]["resourceName"]})
    call("get", "/resources/{resourceID}", path=f"/resources/{resources[0]['id']}", token=ven_a)
    assert (
        call(
            "get", "/resources/{resourceID}", path=f"/resources/{resources[0]['id']}", token=ven_b
        ).status_code
        == 404
    )
    call("post", "/resources", token=bl, body='{"resourceName": "x"}')
    call(
        "put",
        "/resources/{resourceID}",
        path=f"/resources/{resources[0]['id']}",
        token=bl,
        body="{}",
    )
    call("delete", "/resources/{resourceID}", path=f"/resources/{resources[0]['id']}", token=bl)

    # Events: made by the business logic, read by the VEN with offers, not by the other.
    start = future_hour()
    event = call("post", "/events", token=bl, body=_event_body(start)).json()
    call("post", "/events", token=ven_a, body=_event_body(start))
    call("post", "/events", token=bl, body=_event_body(start, price="-1"))
    call("post", "/events", token=bl, body='{"eventName": "no program"}')
    path = f"/events/{event['id']}"
    call("get", "/events", token=bl, query={"programID": "elrp", "active": "true"})
    assert [item["id"] for item in call("get", "/events", token=ven_a).json()] == [event["id"]]
    assert call("get", "/events", token=ven_b).json() == []
    call("get", "/events/{eventID}", path=path, token=ven_a)
    assert call("get", "/events/{eventID}", path=path, token=ven_b).status_code == 404
    call("put", "/events/{eventID}", path=path, token=bl, body=_event_body(start, price="0.8"))
    call("put", "/events/{eventID}", path=path, token=ven_a, body=_event_body(start))
    staff_made = dispatch(world.program, start, start + dt.timedelta(hours=1))
    call("get", "/events/{eventID}", path=f"/events/{staff_made.pk}", token=bl)
    call("delete", "/events/{eventID}", path=f"/events/{staff_made.pk}", token=bl)
    call("delete", "/events/{eventID}", path="/events/999999", token=bl)

    # Reports: a VEN's readings, read by it and the business logic, not by the other VEN.
    hour = future_hour(days=0) - dt.timedelta(hours=3)
    meter = world.alice.export.meter_id
    report = call("post", "/reports", token=ven_a, body=_report_body(event["id"], meter, hour))
    assert report.status_code == 201, report.content
    report_path = f"/reports/{report.json()['id']}"
    call("post", "/reports", token=ven_a, body=_report_body(event["id"], "no-meter", hour))
    call("post", "/reports", token=bl, body=_report_body(event["id"], meter, hour))
    call("get", "/reports", token=ven_a, query={"eventID": event["id"], "clientName": "ven-a"})
    assert call("get", "/reports", token=ven_b).json() == []
    call("get", "/reports", token=bl, query={"programID": "elrp"})
    call("get", "/reports/{reportID}", path=report_path, token=ven_a)
    assert call("get", "/reports/{reportID}", path=report_path, token=ven_b).status_code == 404
    call("put", "/reports/{reportID}", path=report_path, token=ven_a, body="{}")

    # Subscriptions: their own client's only.
    subscribed = call(
        "post", "/subscriptions", token=ven_a, body=_subscription_body("ven-a", operations)
    )
    assert subscribed.status_code == 201, subscribed.content
    sub_path = f"/subscriptions/{subscribed.json()['id']}"
    call("post", "/subscriptions", token=ven_a, body='{"clientName": "ven-a"}')
    call("get", "/subscriptions", token=ven_a, query={"objects": "EVENT", "programID": "elrp"})
    assert call("get", "/subscriptions", token=ven_b).json() == []
    call("get", "/subscriptions/{subscriptionID}", path=sub_path, token=ven_a)
    assert (
        call("get", "/subscriptions/{subscriptionID}", path=sub_path, token=ven_b).status_code
        == 404
    )
    call(
        "put",
        "/subscriptions/{subscriptionID}",
        path=sub_path,
        token=ven_a,
        body=_subscription_body("ven-a", operations),
    )
    call("delete", "/subscriptions/{subscriptionID}", path=sub_path, token=ven_a)

    # Notifiers: the bindings, and the MQTT topics for all objects and for a VEN's own.
    call("get", "/notifiers", token=ven_a)
    for template in (
        "/notifiers/mqtt/topics/programs",
        "/notifiers/mqtt/topics/events",
        "/notifiers/mqtt/topics/reports",
        "/notifiers/mqtt/topics/subscriptions",
        "/notifiers/mqtt/topics/vens",
        "/notifiers/mqtt/topics/resources",
    ):
        call("get", template, token=bl)
        call("get", template, token=ven_a)
    call(
        "get",
        "/notifiers/mqtt/topics/programs/{programID}",
        path="/notifiers/mqtt/topics/programs/elrp",
        token=bl,
    )
    call(
        "get",
        "/notifiers/mqtt/topics/programs/{programID}/events",
        path="/notifiers/mqtt/topics/programs/elrp/events",
        token=ven_a,
    )
    for suffix in ("", "/events", "/programs", "/resources"):
        template = "/notifiers/mqtt/topics/vens/{venID}" + suffix
        call(
            "get", template, path=f"/notifiers/mqtt/topics/vens/{made_a['id']}{suffix}", token=ven_a
        )
        assert call(
            "get",
            template,
            path=f"/notifiers/mqtt/topics/vens/{made_a['id']}{suffix}",
            token=ven_b,
        ).status_code in (403, 404)

    # Deletes last: the VEN and the report.
    call("delete", "/reports/{reportID}", path=report_path, token=ven_a)
    call("delete", "/events/{eventID}", path=path, token=bl)
    call("delete", "/vens/{venID}", path=f"/vens/{made_b['id']}", token=ven_b)
