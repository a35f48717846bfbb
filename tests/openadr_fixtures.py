"""An OpenADR world for tests: a program, owners, two aggregators with VEN clients, a BL."""

import base64
import datetime as dt
from dataclasses import dataclass

from django.test import Client
from django.utils import timezone

from accounts.models import Program
from settlement.metering.models import Aggregator, AggregatorParticipant
from settlement.openadr import credentials
from settlement.openadr.models import OpenADRClient
from tests.event_fixtures import Owner, offer_rules, program_with

BASE = "/openadr3/3.1.0"
CREATED = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@dataclass
class Credentials:
    """A client and its secret in clear."""

    client: OpenADRClient
    secret: str

    def basic(self) -> str:
        pair = f"{self.client.client_id}:{self.secret}".encode()
        return "Basic " + base64.b64encode(pair).decode()


@dataclass
class World:
    program: Program
    alice: Owner
    bob: Owner
    utility: Credentials
    ven_a: Credentials
    ven_b: Credentials
    aggregator_a: Aggregator
    aggregator_b: Aggregator


def make_world() -> World:
    """Return a program paying accepted offers, Alice (represented by aggregator A) and Bob
    (by B, enrolled elsewhere), a business-logic client and a VEN client for each aggregator."""
    program = program_with(offer_rules(), code="elrp")
    Program.objects.filter(pk=program.pk).update(created_at=CREATED)
    program.refresh_from_db()
    other = program_with(offer_rules(), code="other")
    alice = Owner(program, email="alice@example.com")
    bob = Owner(other, email="bob@example.com")
    aggregator_a = Aggregator.objects.create(name="Aggregator A")
    aggregator_b = Aggregator.objects.create(name="Aggregator B")
    AggregatorParticipant.objects.create(aggregator=aggregator_a, participant=alice.participant)
    AggregatorParticipant.objects.create(aggregator=aggregator_b, participant=bob.participant)
    now = timezone.now()

    def make(name: str, role: str, aggregator: Aggregator | None) -> Credentials:
        made = credentials.create_client(name=name, role=role, aggregator=aggregator, now=now)
        return Credentials(client=made.client, secret=made.client_secret)

    return World(
        program=program,
        alice=alice,
        bob=bob,
        utility=make("utility", "BL", None),
        ven_a=make("ven-a", "VEN", aggregator_a),
        ven_b=make("ven-b", "VEN", aggregator_b),
        aggregator_a=aggregator_a,
        aggregator_b=aggregator_b,
    )


def token_for(client: Client, who: Credentials, scope: str | None = None) -> str:
    """Return a bearer token for `who` from the token endpoint (HTTP Basic)."""
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    answer = client.post(f"{BASE}/auth/token", data, HTTP_AUTHORIZATION=who.basic())
    assert answer.status_code == 200, answer.content
    return str(answer.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def future_hour(days: int = 30) -> dt.datetime:
    """Return a whole UTC hour `days` from now (events must start in the future)."""
    soon = timezone.now() + dt.timedelta(days=days)
    return soon.replace(minute=0, second=0, microsecond=0)
