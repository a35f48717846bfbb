"""ElaadNL's openadr3-client, a client no one here wrote, against the VTN on a live server.

The client needs Python 3.12, so it runs in its own virtual environment (`.venv-oadr`,
made by `make oadr-client`) in a separate process, against gunicorn serving this test's
PostgreSQL database on a free port. Its business-logic client creates an event (which
becomes an offer to Alice); its VEN client registers, reads the event with its payload,
subscribes by webhook (answering the echo challenge) and by MQTT (the broker on
127.0.0.1:1883), is notified of the business logic's modification both ways, and reports
on a past event whose offer Alice accepted: the reading is the aggregator's, measured as
the offer's delivery and settled to the amount computed by hand.

Without `.venv-oadr` the test is skipped, unless OPENADR_CLIENT_REQUIRED=1 or
BROWSER_TESTS_REQUIRED=1 (CI) says the run must have it: then it fails.
"""

import datetime as dt
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from settlement.events import operations as event_operations
from settlement.events.models import Delivery, DispatchEvent, Offer
from settlement.metering.models import Reading, Source
from settlement.openadr.models import EventOrigin, Ven
from settlement.statements import periods
from settlement.statements.models import Statement
from settlement.statements.runs import operations as run_operations
from tests import live_server
from tests.openadr_fixtures import World, future_hour, make_world

CLIENT_PYTHON = Path(settings.BASE_DIR) / ".venv-oadr" / "bin" / "python"
SCRIPT = Path(__file__).with_name("third_party_client.py")
REQUIRED = any(
    os.environ.get(name) == "1" for name in ("OPENADR_CLIENT_REQUIRED", "BROWSER_TESTS_REQUIRED")
)

pytestmark = [
    pytest.mark.postgres,
    # gunicorn must see the rows this test commits: an in-memory SQLite database cannot be
    # shared with another process.
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the live server runs on PostgreSQL"
    ),
]


def _client_python() -> Path:
    if CLIENT_PYTHON.exists():
        return CLIENT_PYTHON
    message = f"{CLIENT_PYTHON} is missing: run `make oadr-client` (Python 3.12 from pyenv)"
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def _server(log: Path, *, receiver_port: int, topic_prefix: str) -> Iterator[str]:
    """Run gunicorn on this test's database; yield the VTN's base URL once it answers."""
    port = live_server.free_port()
    env = {
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECRET_KEY": "openadr-client-test",
        # The client's webhook receiver, and the broker every machine runs (its own topics).
        "OPENADR_CALLBACK_ALLOWED_PREFIXES": f"http://127.0.0.1:{receiver_port}/",
        "OPENADR_MQTT_BROKER_URL": "mqtt://127.0.0.1:1883",
        "OPENADR_MQTT_TOPIC_PREFIX": topic_prefix,
    }
    with live_server.gunicorn(log, port=port, env=env) as server:
        base = f"http://127.0.0.1:{port}/openadr3/3.1.0"
        deadline = time.monotonic() + 120
        while True:
            try:
                # The first request loads the application: slow on a busy machine.
                requests.get(f"{base}/auth/server", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        yield base


def _past_event_accepted_by_alice(world: World, *, hour: dt.datetime) -> DispatchEvent:
    """Return a one-hour event at `hour` (in the past) with Alice's offer accepted.

    Events must be created in the future, so the operations are given a `now` of the day
    before: the event, the offer and the acceptance are what they would have been then.
    """
    created_at = hour - dt.timedelta(days=1)
    event = event_operations.create_event(
        program=world.program,
        terms=event_operations.EventTerms(
            starts_at=hour,
            ends_at=hour + dt.timedelta(hours=1),
            response_deadline=hour - dt.timedelta(hours=1),
            kind=DispatchEvent.Kind.ECONOMIC,
            price_per_kwh=Decimal("2.00"),
        ),
        created_by=None,
        now=created_at,
    )
    offer = Offer.objects.get(event=event, participant=world.alice.participant)
    event_operations.accept_offer(
        offer=offer, committed_kw=None, user=world.alice.user, now=created_at
    )
    return event


def test_the_third_party_client_creates_subscribes_is_notified_and_reports_for_settlement(
    transactional_db: None, tmp_path: Path
) -> None:
    python = _client_python()
    world = make_world()
    start = future_hour(days=20)
    report_hour = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
    past = _past_event_accepted_by_alice(world, hour=report_hour)
    receiver_port = live_server.free_port()
    topic_prefix = f"test-{uuid.uuid4().hex}/"
    config = {
        "bl": {"client_id": world.utility.client.client_id, "client_secret": world.utility.secret},
        "ven": {"client_id": world.ven_a.client.client_id, "client_secret": world.ven_a.secret},
        "program": "elrp",
        "event_start": start.isoformat(),
        "past_event": str(past.pk),
        "meter": world.alice.export.meter_id,
        "report_hour": report_hour.isoformat(),
        "receiver_port": receiver_port,
    }

    log = tmp_path / "gunicorn.log"
    with _server(log, receiver_port=receiver_port, topic_prefix=topic_prefix) as base:
        run = subprocess.run(  # noqa: S603 - the pinned client in its own environment
            [str(python), str(SCRIPT), base, json.dumps(config)],
            capture_output=True,
            text=True,
            timeout=180,
            # oauthlib refuses a token URL over plain HTTP unless told this is a test.
            env={**os.environ, "OAUTHLIB_INSECURE_TRANSPORT": "1"},
            check=False,
        )

    assert run.returncode == 0, run.stderr[-3000:] + log.read_text()
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    event = DispatchEvent.objects.get(pk=int(seen["event_id"]))
    # The business logic's event became Alice's offer; the VEN read it and the past one.
    assert sorted(seen["seen_event_ids"]) == sorted([str(past.pk), str(event.pk)])
    assert seen["seen_payloads"] == [["EXPORT_PRICE", [0.75]]]
    assert (event.starts_at, event.ends_at) == (start, start + dt.timedelta(hours=2))
    assert EventOrigin.objects.get(event=event).client == world.utility.client
    assert list(Offer.objects.filter(event=event).values_list("participant", flat=True)) == [
        world.alice.participant.pk
    ]
    assert seen["ven_client_id"] == world.ven_a.client.client_id
    assert Ven.objects.get(pk=int(seen["ven_id"])).ven_name == "client-ven"
    # The modification reached the VEN by webhook (with its bearer token) and by MQTT.
    assert (event.modification, event.price_per_kwh) == (1, Decimal("0.80000"))
    webhook = seen["webhook"]
    assert webhook["authorization"] == "Bearer callback-secret"
    assert (webhook["body"]["operation"], webhook["body"]["object"]["id"]) == (
        "UPDATE",
        str(event.pk),
    )
    assert webhook["body"]["object"]["modificationNumber"] == 1
    assert seen["mqtt_topic"] == seen["mqtt_topics"]["UPDATE"]
    assert seen["mqtt_topic"] == f"{topic_prefix}events/vens/{seen['ven_id']}/update"
    assert (seen["mqtt_message"]["operation"], seen["mqtt_message"]["object"]["id"]) == (
        "UPDATE",
        str(event.pk),
    )
    assert seen["mqtt_message"]["object"]["intervals"][0]["payloads"][0]["values"] == [0.8]
    # The report is Alice's export reading, from the aggregator...
    reading = Reading.objects.get(channel=world.alice.export)
    assert (reading.start, reading.duration_s, reading.wh) == (report_hour, 3600, 3500)
    assert reading.upload.source == Source.AGGREGATOR
    # ...measured as the accepted offer's delivery: 3.5 kWh x 2.00 = 7.00...
    event_operations.measure_event(event=past, now=timezone.now())
    delivery = Delivery.objects.get(offer__event=past, superseded_at__isnull=True)
    assert (delivery.delivered_wh, delivery.amount) == (Decimal(3500), Decimal("7.00"))
    # ...and settled: the month's initial run, once the month is over, gives Alice a
    # statement of that one line, $7.00.
    statement = _settled_month(world, hour=report_hour)
    lines = list(statement.lines.values_list("kind", "kwh", "price", "amount"))
    assert lines == [("ACCEPTED_OFFER", Decimal("3.500"), Decimal("2.00000"), Decimal("7.00"))]
    assert statement.total == Decimal("7.00")


def _settled_month(world: World, *, hour: dt.datetime) -> Statement:
    """Settle the program's local month holding `hour`, as of 4 days after it ends; return
    Alice's statement."""
    zone = world.program.timezone
    local = hour.astimezone(ZoneInfo(zone)).date()
    period = periods.month(f"{local:%Y-%m}", time_zone=zone)
    run = run_operations.settle_in_process(
        program=world.program,
        period=period,
        run_type="INITIAL",
        started_by=None,
        now=period.end_utc + dt.timedelta(days=4),
    )
    assert run.status == "COMPLETED", run.error
    return Statement.objects.get(run=run, participant=world.alice.participant)
