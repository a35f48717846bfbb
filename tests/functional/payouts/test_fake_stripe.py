"""The fake Stripe server keeps Stripe's promises, checked through the real stripe library."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.fakes.fixtures import WEBHOOK_SECRET
from tests.fakes.stripe_server import start_in_thread


@pytest.fixture
def server():
    server = start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(server):
    return stripe.StripeClient(
        "sk_test_fake",
        base_addresses={"api": server.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=5),
    )


@pytest.fixture
def account_id(client, server):
    account = client.v1.accounts.create(params={"type": "express"})
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "http://r",
            "return_url": "http://b",
            "type": "account_onboarding",
        }
    )
    server.fake.complete_onboarding(link.url.rsplit("/", 1)[-1], with_bank_account=True)
    return account.id


def transfer(client, account_id, *, key, amount=1_000, group="g-1"):
    return client.v1.transfers.create(
        params={
            "amount": amount,
            "currency": "usd",
            "destination": account_id,
            "transfer_group": group,
            "metadata": {"payout_id": "1"},
        },
        options={"idempotency_key": key},
    )


def test_the_same_key_replays_the_first_transfer(client, server, account_id):
    first = transfer(client, account_id, key="k")
    second = transfer(client, account_id, key="k")

    assert first.id == second.id
    assert len(server.fake.state.transfers) == 1


def test_the_same_key_with_other_parameters_is_a_400(client, account_id):
    transfer(client, account_id, key="k")

    with pytest.raises(stripe.IdempotencyError) as raised:
        transfer(client, account_id, key="k", amount=999)

    assert raised.value.http_status == 400


def test_the_same_key_while_the_first_request_runs_is_a_409(client, server, account_id):
    server.fake.state.in_flight.add("k-busy")

    with pytest.raises(stripe.APIError) as raised:
        transfer(client, account_id, key="k-busy")

    assert raised.value.http_status == 409
    assert server.fake.state.transfers == {}


def test_a_500_after_the_transfer_is_replayed_for_the_same_key(client, server, account_id):
    server.fake.state.faults.append({"op": "create_transfer", "kind": "error_after"})

    for _ in range(2):
        with pytest.raises(stripe.APIError) as raised:
            transfer(client, account_id, key="k")
        assert raised.value.http_status == 500

    assert len(server.fake.state.transfers) == 1


def test_keys_are_forgotten_after_24_hours(client, server, account_id):
    transfer(client, account_id, key="k")
    server.fake.state.clock_offset_s += 24 * 3600 + 1

    transfer(client, account_id, key="k")

    assert len(server.fake.state.transfers) == 2


def test_transfers_are_listed_by_group(client, account_id):
    mine = transfer(client, account_id, key="a", group="g-mine")
    transfer(client, account_id, key="b", group="g-other")

    listed = client.v1.transfers.list(params={"transfer_group": "g-mine"})

    assert [t.id for t in listed.data] == [mine.id]


def test_a_timeout_after_the_transfer_still_made_it(client, server, account_id):
    server.fake.state.faults.append(
        {"op": "create_transfer", "kind": "timeout_after", "hang_seconds": 0}
    )

    with pytest.raises(stripe.APIConnectionError):
        transfer(client, account_id, key="k")

    assert len(server.fake.state.transfers) == 1


def test_events_are_signed_so_the_stripe_verifier_accepts_them(server, client, account_id):
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            return

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server.fake.state.webhook_url = f"http://127.0.0.1:{receiver.server_address[1]}/"
    server.fake.state.webhook_secret = WEBHOOK_SECRET
    server.fake.state.faults.append({"op": "webhook", "kind": "duplicate"})
    try:
        transfer(client, account_id, key="k")
        server.fake.state.faults.append({"op": "webhook", "kind": "drop"})
        transfer(client, account_id, key="k2", group="g-2")
        for _ in range(100):
            if len(received) >= 2:
                break
            threading.Event().wait(0.05)
    finally:
        receiver.shutdown()
        receiver.server_close()

    assert len(received) == 2
    for body, signature in received:
        stripe.WebhookSignature.verify_header(body, signature, WEBHOOK_SECRET, 300)
        assert json.loads(body)["type"] == "transfer.created"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(
            received[0][0] + " ", received[0][1], WEBHOOK_SECRET, 300
        )
