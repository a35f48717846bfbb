"""The OpenADR 3.1.0 VTN over HTTP: tokens, events as offers, privacy, reports, problems."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from settlement.events import operations as event_operations
from settlement.events.models import DispatchEvent, Offer
from settlement.metering.models import Reading, Source, Upload
from settlement.openadr import callbacks, notifications
from settlement.openadr import tasks as openadr_tasks
from settlement.openadr.models import (
    EventOrigin,
    EventRead,
    OpenADRClient,
    Report,
    Subscription,
)
from tests.event_fixtures import dispatch
from tests.openadr_fixtures import BASE, CREATED, World, bearer, future_hour, make_world, token_for

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def world() -> World:
    return make_world()


def event_body(start: dt.datetime, *, price: str = "0.75", name: str = "heat-wave") -> str:
    # Decimal text straight into the JSON: the price is never a float on its way in.
    return (
        f'{{"programID": "elrp", "eventName": "{name}", "intervalPeriod": {{"start": '
        f'"{start.isoformat()}", "duration": "PT2H"}}, "intervals": [{{"id": 0, "payloads": '
        f'[{{"type": "EXPORT_PRICE", "values": [{price}]}}]}}]}}'
    )


def post_json(client: Client, path: str, body: str, token: str) -> object:
    return client.post(path, body, content_type="application/json", **bearer(token))


def test_auth_server_gives_the_absolute_token_url(client: Client, settings) -> None:
    settings.SITE_URL = "https://vtn.example.com/"

    answer = client.get(f"{BASE}/auth/server")

    assert answer.status_code == 200
    assert answer.json() == {"tokenURL": "https://vtn.example.com/openadr3/3.1.0/auth/token"}


def test_a_token_by_form_fields_without_scope_gets_the_roles_default_scopes(
    client: Client, world: World
) -> None:
    answer = client.post(
        f"{BASE}/auth/token",
        {
            "grant_type": "client_credentials",
            "client_id": world.ven_a.client.client_id,
            "client_secret": world.ven_a.secret,
        },
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == (
        "read_targets read_ven_objects write_reports write_subscriptions write_vens"
    )


def test_a_wrong_secret_is_a_401_problem_with_the_oauth_error(client: Client, world: World) -> None:
    answer = client.post(
        f"{BASE}/auth/token",
        {
            "grant_type": "client_credentials",
            "client_id": world.utility.client.client_id,
            "client_secret": "wrong",
        },
    )

    assert answer.status_code == 401
    assert answer["Content-Type"] == PROBLEM
    assert answer.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "the client id or secret is not valid",
        "instance": "/openadr3/3.1.0/auth/token",
        "error": "invalid_client",
        "error_description": "the client id or secret is not valid",
    }


def test_a_scope_the_client_lacks_is_refused(client: Client, world: World) -> None:
    answer = client.post(
        f"{BASE}/auth/token",
        {"grant_type": "client_credentials", "scope": "write_events"},
        HTTP_AUTHORIZATION=world.ven_a.basic(),
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"


def test_programs_read_by_the_utility(client: Client, world: World) -> None:
    token = token_for(client, world.utility)

    answer = client.get(f"{BASE}/programs", {"limit": 1}, **bearer(token))

    assert answer.status_code == 200
    assert answer.json() == [
        {
            "id": "elrp",
            "createdDateTime": CREATED.isoformat(),
            "modificationDateTime": CREATED.isoformat(),
            "objectType": "PROGRAM",
            "programName": "elrp",
            "programLongName": "Program elrp",
            "retailerName": "Pacific Test Electric",
            "programDescriptions": None,
            "payloadDescriptors": [
                {
                    "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                    "payloadType": "EXPORT_PRICE",
                    "units": "KWH",
                    "currency": "USD",
                },
                {
                    "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                    "payloadType": "EXPORT_CAPACITY_LIMIT",
                    "units": "KW",
                },
            ],
            "attributes": None,
            "targets": None,
        }
    ]


def test_an_event_from_the_utility_becomes_offers_to_eligible_owners(
    client: Client, world: World
) -> None:
    start = future_hour()
    token = token_for(client, world.utility)

    answer = post_json(client, f"{BASE}/events", event_body(start), token)

    assert answer.status_code == 201, answer.content
    event = DispatchEvent.objects.get()
    assert answer.json() == {
        "id": str(event.pk),
        "createdDateTime": event.created_at.isoformat(),
        "modificationDateTime": event.modified_at.isoformat(),
        "objectType": "EVENT",
        "programID": "elrp",
        "eventName": "heat-wave",
        "priority": None,
        "modificationNumber": 0,
        "targets": None,
        "reportDescriptors": None,
        "payloadDescriptors": [
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": "EXPORT_PRICE",
                "units": "KWH",
                "currency": "USD",
            }
        ],
        "intervalPeriod": {"start": start.isoformat(), "duration": "PT2H"},
        "intervals": [{"id": 0, "payloads": [{"type": "EXPORT_PRICE", "values": [0.75]}]}],
    }
    assert b'"values": [0.75]' in answer.content
    # The program default: an economic event, answers until an hour before the start.
    assert (event.kind, event.price_per_kwh) == ("ECONOMIC", Decimal("0.75000"))
    assert event.response_deadline == start - dt.timedelta(hours=1)
    assert [offer.participant for offer in Offer.objects.all()] == [world.alice.participant]
    assert EventOrigin.objects.get(event=event).client == world.utility.client


def test_an_event_the_program_rules_refuse_is_a_problem_and_nothing_is_made(
    client: Client, world: World
) -> None:
    past = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=5)
    token = token_for(client, world.utility)

    answer = post_json(client, f"{BASE}/events", event_body(past), token)

    # Well formed, refused by the program's rules and the clock: a conflict with the state,
    # as the events API answers it (a malformed body stays a 400).
    assert answer.status_code == 409
    assert answer["Content-Type"] == PROBLEM
    assert answer.json()["status"] == 409
    assert DispatchEvent.objects.count() == 0
    assert EventOrigin.objects.count() == 0


def test_a_bad_payload_is_a_problem_naming_the_field(client: Client, world: World) -> None:
    token = token_for(client, world.utility)
    body = json.loads(event_body(future_hour()))
    body["intervals"][0]["payloads"][0]["type"] = "PRICE"

    answer = post_json(client, f"{BASE}/events", json.dumps(body), token)

    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "intervals[0].payloads[0].type: 'PRICE' is not supported "
        "(use EXPORT_PRICE and optionally EXPORT_CAPACITY_LIMIT)"
    )
    assert DispatchEvent.objects.count() == 0


def test_a_ven_cannot_write_events(client: Client, world: World) -> None:
    token = token_for(client, world.ven_a)

    answer = post_json(client, f"{BASE}/events", event_body(future_hour()), token)

    assert answer.status_code == 403
    assert answer.json()["detail"] == "this operation needs the scope write_events"
    assert DispatchEvent.objects.count() == 0


def test_a_modification_and_a_cancellation_bump_the_modification_number(
    client: Client, world: World
) -> None:
    start = future_hour()
    token = token_for(client, world.utility)
    created = post_json(client, f"{BASE}/events", event_body(start), token).json()

    modified = client.put(
        f"{BASE}/events/{created['id']}",
        event_body(start, price="1.25"),
        content_type="application/json",
        **bearer(token),
    )
    deleted = client.delete(f"{BASE}/events/{created['id']}", **bearer(token))

    assert modified.status_code == 200
    assert modified.json()["modificationNumber"] == 1
    assert modified.json()["intervals"][0]["payloads"][0]["values"] == [1.25]
    assert deleted.status_code == 200
    assert deleted.json()["modificationNumber"] == 2
    assert DispatchEvent.objects.get().cancelled_at is not None
    assert set(Offer.objects.values_list("status", flat=True)) == {"CANCELLED"}
    assert client.get(f"{BASE}/events/{created['id']}", **bearer(token)).status_code == 404


def test_a_ven_sees_only_events_with_offers_for_its_participants(
    client: Client, world: World
) -> None:
    start = future_hour()
    staff_made = dispatch(world.program, start, start + dt.timedelta(hours=2), price="0.50")
    token_a = token_for(client, world.ven_a)
    token_b = token_for(client, world.ven_b)

    seen_by_a = client.get(f"{BASE}/events", **bearer(token_a)).json()
    seen_by_b = client.get(f"{BASE}/events", **bearer(token_b)).json()
    one_by_b = client.get(f"{BASE}/events/{staff_made.pk}", **bearer(token_b))

    assert [event["id"] for event in seen_by_a] == [str(staff_made.pk)]
    assert seen_by_a[0]["eventName"] == f"event-{staff_made.pk}"
    assert seen_by_a[0]["intervals"][0]["payloads"] == [{"type": "EXPORT_PRICE", "values": [0.5]}]
    assert seen_by_b == []
    assert one_by_b.status_code == 404
    assert one_by_b.json()["detail"] == f"eventID: no event {staff_made.pk}"


def test_a_ven_registers_and_sees_only_its_own_ven_and_resources(
    client: Client, world: World
) -> None:
    token_a = token_for(client, world.ven_a)
    token_b = token_for(client, world.ven_b)
    ven_a = post_json(client, f"{BASE}/vens", '{"venName": "ven-a"}', token_a).json()
    post_json(client, f"{BASE}/vens", '{"venName": "ven-b"}', token_b)

    vens_seen_by_b = client.get(f"{BASE}/vens", **bearer(token_b)).json()
    a_read_by_b = client.get(f"{BASE}/vens/{ven_a['id']}", **bearer(token_b))
    a_resources_by_b = client.get(f"{BASE}/resources", {"venID": ven_a["id"]}, **bearer(token_b))
    resources_of_a = client.get(f"{BASE}/resources", {"venID": ven_a["id"]}, **bearer(token_a))

    assert ven_a["clientID"] == world.ven_a.client.client_id
    assert [ven["venName"] for ven in vens_seen_by_b] == ["ven-b"]
    assert a_read_by_b.status_code == 404
    assert a_resources_by_b.json() == []
    meter = world.alice.export.meter_id
    assert [
        (item["resourceName"], item["venID"], item["attributes"]) for item in resources_of_a.json()
    ] == [
        (
            meter,
            ven_a["id"],
            [
                {"type": "CHANNEL_KINDS", "values": ["EVSE_EXPORT", "EVSE_IMPORT"]},
                {"type": "CHARGER_ID", "values": [world.alice.export.charger.external_id]},
            ],
        )
    ]


def test_a_second_ven_of_the_same_client_is_a_conflict(client: Client, world: World) -> None:
    token = token_for(client, world.ven_a)
    post_json(client, f"{BASE}/vens", '{"venName": "ven-a"}', token)

    again = post_json(client, f"{BASE}/vens", '{"venName": "ven-a-2"}', token)

    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM


def report_body(event_id: int, meter: str, start: dt.datetime, *, export: str) -> str:
    # Decimal text straight into the JSON, as in event_body.
    return (
        f'{{"eventID": "{event_id}", "clientName": "ven-a", "payloadDescriptors": '
        '[{"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "EXPORT", "units": '
        f'"KWH"}}], "resources": [{{"resourceName": "{meter}", "intervalPeriod": {{"start": '
        f'"{start.isoformat()}", "duration": "PT1H"}}, "intervals": [{{"id": 0, "payloads": '
        f'[{{"type": "EXPORT", "values": [{export}]}}]}}, {{"id": 1, "payloads": '
        '[{"type": "USAGE", "values": [0]}, {"type": "EXPORT", "values": [1.5]}]}]}]}'
    )


def test_a_report_becomes_aggregator_readings(client: Client, world: World) -> None:
    event = dispatch(world.program, future_hour(), future_hour() + dt.timedelta(hours=2))
    token = token_for(client, world.ven_a)
    post_json(client, f"{BASE}/vens", '{"venName": "ven-a"}', token)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=4)
    meter = world.alice.export.meter_id

    answer = post_json(
        client, f"{BASE}/reports", report_body(event.pk, meter, hour, export="2.25"), token
    )

    assert answer.status_code == 201, answer.content
    report = Report.objects.get()
    assert answer.json()["id"] == str(report.pk)
    assert answer.json()["clientID"] == world.ven_a.client.client_id
    assert answer.json()["resources"][0]["intervals"][0]["payloads"][0]["values"] == [2.25]
    assert report.upload.source == Source.AGGREGATOR
    assert report.upload.aggregator == world.aggregator_a
    assert sorted(Reading.objects.values_list("channel__kind", "start", "duration_s", "wh")) == [
        ("EVSE_EXPORT", hour, 3600, 2250),
        ("EVSE_EXPORT", hour + dt.timedelta(hours=1), 3600, 1500),
        ("EVSE_IMPORT", hour + dt.timedelta(hours=1), 3600, 0),
    ]


def test_a_bad_report_is_a_problem_naming_the_field_and_stores_nothing(
    client: Client, world: World
) -> None:
    event = dispatch(world.program, future_hour(), future_hour() + dt.timedelta(hours=2))
    token = token_for(client, world.ven_a)
    post_json(client, f"{BASE}/vens", '{"venName": "ven-a"}', token)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=4)

    fraction_of_wh = post_json(
        client,
        f"{BASE}/reports",
        report_body(event.pk, world.alice.export.meter_id, hour, export="2.2505"),
        token,
    )
    not_ours = post_json(
        client,
        f"{BASE}/reports",
        report_body(event.pk, world.bob.export.meter_id, hour, export="1"),
        token,
    )

    assert fraction_of_wh.status_code == 400
    assert fraction_of_wh.json()["detail"] == (
        "resources[0].intervals[0].payloads[0].values[0]: 2.2505 is not a whole, "
        "non-negative number of Wh"
    )
    assert not_ours.status_code == 400
    assert not_ours.json()["detail"] == (
        f"resources[0].resourceName: '{world.bob.export.meter_id}' is not a resource of this VEN"
    )
    assert (Report.objects.count(), Upload.objects.count(), Reading.objects.count()) == (0, 0, 0)


def test_a_callback_outside_the_allow_list_is_refused(
    client: Client, world: World, settings
) -> None:
    settings.OPENADR_CALLBACK_ALLOWED_PREFIXES = ["https://ven-a.example.com/hooks/"]
    token = token_for(client, world.ven_a)
    body = (
        '{"clientName": "ven-a", "objectOperations": [{"objects": ["EVENT"], '
        '"operations": ["POST"], "callbackUrl": "http://169.254.169.254/latest", '
        '"bearerToken": null}]}'
    )

    answer = post_json(client, f"{BASE}/subscriptions", body, token)

    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "objectOperations[0].callbackUrl: http://169.254.169.254/latest is not under an "
        "allowed callback address"
    )
    assert Subscription.objects.count() == 0


class Echo:
    """A callback's answer to the registration challenge."""

    def __init__(self, text: str, status_code: int = 200) -> None:
        self.text = text
        self.status_code = status_code


def echoing_get(url: str, *, params: dict[str, str], **options: object) -> Echo:
    """A callback that answers the challenge as the spec says: the value as its body."""
    return Echo(params["echo"])


def test_a_callback_that_does_not_echo_the_challenge_is_refused(
    client: Client, world: World, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OPENADR_CALLBACK_ALLOWED_PREFIXES = ["https://ven-a.example.com/hooks/"]
    asked: list[tuple[str, str]] = []

    def wrong_echo(url: str, *, params: dict[str, str], **options: object) -> Echo:
        asked.append((url, params["echo"]))
        return Echo("not the value")

    monkeypatch.setattr(callbacks.requests, "get", wrong_echo)
    body = (
        '{"clientName": "ven-a", "objectOperations": [{"objects": ["EVENT"], '
        '"operations": ["CREATE"], "callbackUrl": "https://ven-a.example.com/hooks/a"}]}'
    )

    answer = post_json(client, f"{BASE}/subscriptions", body, token_for(client, world.ven_a))

    assert answer.status_code == 400
    assert answer["Content-Type"] == PROBLEM
    assert answer.json()["detail"].startswith(
        "objectOperations[0].callbackUrl: https://ven-a.example.com/hooks/a did not answer "
        "the echo challenge"
    )
    assert [url for url, _ in asked] == ["https://ven-a.example.com/hooks/a"]
    assert len(asked[0][1]) >= 32
    assert Subscription.objects.count() == 0


@pytest.mark.usefixtures("tasks_in_process")
def test_a_subscriber_is_notified_of_a_new_event_with_a_signature(
    client: Client,
    world: World,
    settings,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    settings.OPENADR_CALLBACK_ALLOWED_PREFIXES = ["https://ven-a.example.com/hooks/"]
    settings.OPENADR_WEBHOOK_SIGNING_KEY = "signing-key"
    sent: list[tuple[str, bytes, dict[str, str]]] = []

    class Answer:
        status_code = 200

    def fake_post(url: str, *, data: bytes, headers: dict[str, str], **options: object):
        sent.append((url, data, headers))
        return Answer()

    monkeypatch.setattr(notifications.requests, "post", fake_post)
    monkeypatch.setattr(callbacks.requests, "get", echoing_get)
    token_a = token_for(client, world.ven_a)
    token_b = token_for(client, world.ven_b)
    for token, who in ((token_a, "ven-a"), (token_b, "ven-b")):
        subscribed = post_json(
            client,
            f"{BASE}/subscriptions",
            f'{{"clientName": "{who}", "objectOperations": [{{"objects": ["EVENT"], '
            '"operations": ["POST", "PUT"], "callbackUrl": '
            f'"https://ven-a.example.com/hooks/{who}", "bearerToken": "cb-token"}}]}}',
            token,
        )
        assert subscribed.status_code == 201, subscribed.content

    with django_capture_on_commit_callbacks(execute=True):
        created = post_json(
            client, f"{BASE}/events", event_body(future_hour()), token_for(client, world.utility)
        )

    assert created.status_code == 201
    # Only VEN A has a participant with an offer; VEN B is not told of the event.
    assert [url for url, _, _ in sent] == ["https://ven-a.example.com/hooks/ven-a"]
    _, data, headers = sent[0]
    notification = json.loads(data)
    assert (notification["objectType"], notification["operation"]) == ("EVENT", "CREATE")
    assert notification["object"]["id"] == created.json()["id"]
    assert headers["Authorization"] == "Bearer cb-token"
    timestamp = headers["X-OpenADR-Signature"].split(",")[0].removeprefix("t=")
    assert headers["X-OpenADR-Signature"] == notifications.signature(
        body=data.decode(), timestamp=int(timestamp)
    )


def test_a_ven_reading_an_event_is_recorded(client: Client, world: World) -> None:
    start = future_hour()
    event = dispatch(world.program, start, start + dt.timedelta(hours=2))
    token = token_for(client, world.ven_a)
    post_json(client, f"{BASE}/vens", '{"venName": "ven-a"}', token)

    client.get(f"{BASE}/events", **bearer(token))
    client.get(f"{BASE}/events/{event.pk}", **bearer(token))

    assert list(EventRead.objects.values_list("event", "ven__ven_name", "modification")) == [
        (event.pk, "ven-a", 0)
    ]


@pytest.mark.parametrize(
    ("method", "path", "status", "detail"),
    [
        ("get", "/events", 401, "a bearer token is required (see auth/server)"),
        ("get", "/nowhere", 404, "/openadr3/3.1.0/nowhere is not a path of this VTN"),
        ("patch", "/events", 405, "PATCH is not allowed here"),
        ("get", "/events/999", 404, "eventID: no event 999"),
        ("get", "/programs?limit=51", 400, "limit: at most 50"),
        ("post", "/vens", 400, "the body is not valid JSON"),
    ],
)
def test_every_error_is_a_problem(  # noqa: PLR0917 - pytest passes parameters by position
    client: Client, world: World, method: str, path: str, status: int, detail: str
) -> None:
    headers = {} if status == 401 else bearer(token_for(client, world.utility))
    send = getattr(client, method)

    if method in ("post", "patch"):
        answer = send(f"{BASE}{path}", "{not json", content_type="application/json", **headers)
    else:
        answer = send(f"{BASE}{path}", **headers)

    assert answer.status_code == status
    assert answer["Content-Type"] == PROBLEM
    assert answer.json() == {
        "type": "about:blank",
        "title": answer.json()["title"],
        "status": status,
        "detail": detail,
        "instance": f"{BASE}{path.split('?', maxsplit=1)[0]}",
    }


def test_a_command_makes_a_client_whose_secret_is_stored_hashed(world: World) -> None:
    out = StringIO()
    call_command(
        "create_openadr_client",
        "--name",
        "ven-c",
        "--role",
        "ven",
        "--aggregator",
        "Aggregator A",
        stdout=out,
    )

    printed = json.loads(out.getvalue())
    assert printed["role"] == "VEN"
    assert printed["aggregator"] == "Aggregator A"
    stored = OpenADRClient.objects.get(client_id=printed["client_id"])
    assert printed["client_secret"] not in stored.secret_hash


def test_the_command_refuses_an_unknown_aggregator_with_the_error_body(world: World) -> None:
    out = StringIO()

    with pytest.raises(SystemExit) as exit_status:
        call_command(
            "create_openadr_client",
            "--name",
            "ven-d",
            "--role",
            "ven",
            "--aggregator",
            "Nobody",
            stdout=out,
        )

    assert exit_status.value.code == 2
    assert json.loads(out.getvalue()) == {
        "error": {
            "code": "not_found",
            "message": "no aggregator named 'Nobody'",
            "details": {"field": "aggregator"},
        }
    }
    assert not OpenADRClient.objects.filter(name="ven-d").exists()


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/subscriptions", "read_targets"),
        ("/vens", "read_targets"),
        ("/reports", "read_targets"),
        ("/resources", "read_targets"),
        ("/events", "read_ven_objects"),
        ("/programs", "read_ven_objects"),
    ],
)
def test_each_read_needs_the_scope_the_spec_gives_it(
    client: Client, world: World, path: str, scope: str
) -> None:
    token = token_for(client, world.ven_a, scope=scope)

    answer = client.get(f"{BASE}{path}", **bearer(token))

    assert answer.status_code == 403
    assert answer["Content-Type"] == PROBLEM


@pytest.mark.usefixtures("tasks_in_process")
def test_the_schedule_tells_subscribers_of_changes_made_on_the_staff_page(
    client: Client, world: World, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OPENADR_CALLBACK_ALLOWED_PREFIXES = ["https://ven-a.example.com/hooks/"]
    sent: list[dict[str, Any]] = []

    class Answer:
        status_code = 200

    def fake_post(url: str, *, data: bytes, headers: dict[str, str], **options: object):
        sent.append(json.loads(data))
        return Answer()

    monkeypatch.setattr(notifications.requests, "post", fake_post)
    monkeypatch.setattr(callbacks.requests, "get", echoing_get)
    subscribed = post_json(
        client,
        f"{BASE}/subscriptions",
        '{"clientName": "ven-a", "objectOperations": [{"objects": ["EVENT"], "operations": '
        '["POST", "PUT", "DELETE"], "callbackUrl": "https://ven-a.example.com/hooks/a"}]}',
        token_for(client, world.ven_a),
    )
    assert subscribed.status_code == 201, subscribed.content
    start = future_hour()
    # Made, changed and cancelled as the staff page does: through the operations, not the VTN.
    event = dispatch(world.program, start, start + dt.timedelta(hours=2), now=timezone.now())

    def told() -> list[tuple[object, object, object]]:
        before = len(sent)
        openadr_tasks.notify_event_changes()
        return [
            (n["operation"], n["object"]["id"], n["object"]["modificationNumber"])
            for n in sent[before:]
        ]

    assert told() == [("CREATE", str(event.pk), 0)]
    assert told() == []  # heard of once
    terms = event_operations.EventTerms(
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        response_deadline=event.response_deadline,
        kind=event.kind,
        price_per_kwh=Decimal("2.50"),
    )
    event_operations.modify_event(event=event, terms=terms, now=timezone.now())
    assert told() == [("UPDATE", str(event.pk), 1)]
    event.refresh_from_db()
    event_operations.cancel_event(event=event, now=timezone.now())
    assert told() == [("DELETE", str(event.pk), 2)]
    assert told() == []
