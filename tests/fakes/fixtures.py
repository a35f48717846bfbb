"""Pytest fixtures: the fake Stripe server on a free port, with settings pointing at it."""

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.stripe_server import FakeStripeServer, sign, start_in_thread

TEST_KEY = "sk_test_fake_key"
WEBHOOK_SECRET = "whsec_test_fake_secret"


class FakeStripeControl:
    """The test's handle on a running fake: its URL and its control endpoints."""

    def __init__(self, server: FakeStripeServer) -> None:
        self.server = server
        self.url = server.url
        self.fake = server.fake

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
            method="POST" if body is not None else "GET",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def faults(self, *faults: dict[str, Any]) -> None:
        self.call("/_fake/faults", {"faults": list(faults)})

    def state(self) -> dict[str, Any]:
        return self.call("/_fake/state")

    def counters(self) -> dict[str, Any]:
        return self.call("/_fake/counters")

    def transfers(self) -> list[dict[str, Any]]:
        return self.state()["transfers"]

    def complete_account(self, account_id: str) -> dict[str, Any]:
        return self.call(f"/_fake/accounts/{account_id}/complete", {})

    def deliver_to(self, url: str) -> None:
        self.call("/_fake/config", {"webhook_url": url, "webhook_secret": WEBHOOK_SECRET})

    def wait_for_deliveries(self, count: int, timeout_s: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            deliveries = self.state()["deliveries"]
            if len(deliveries) >= count:
                return deliveries
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} webhook deliveries after {timeout_s} s")


def signed_headers(
    payload: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None
) -> dict[str, str]:
    """Return the request headers of a webhook signed the way Stripe signs it."""
    return {"HTTP_STRIPE_SIGNATURE": sign(payload, secret, int(time.time()) if at is None else at)}


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripeControl]:
    server = start_in_thread()
    settings.STRIPE_SECRET_KEY = TEST_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_TIMEOUT_SECONDS = 2
    settings.PAYOUT_RETRY_BASE_SECONDS = 0
    settings.PAYOUT_REDISPATCH_AFTER_SECONDS = 0
    yield FakeStripeControl(server)
    server.shutdown()
    server.server_close()
