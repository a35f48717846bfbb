"""Signed but malformed Stripe webhooks: 400, recorded FAILED when they carry an id, and
no handler reached; a timestamp beyond the tolerance is refused both ways (issue 18, item 9)."""

import json
import time

import pytest

from settlement.payouts.models import Payout, WebhookEvent
from tests.fakes.fixtures import WEBHOOK_SECRET, signed_headers
from tests.functional.payouts.test_webhooks import event, post, stripe_keys

__all__ = ["stripe_keys"]  # the autouse fixture, used by name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            event("account.updated", created=10**20),
            "created must be Unix seconds from 0 to 253402300799, not 100000000000000000000",
        ),
        (
            event("payout.failed", {"id": "po_1", "amount": -500, "currency": "usd"}),
            "data.object.amount must be a whole number from 0 to 1000000000000000",
        ),
        (
            event("payout.failed", {"id": "po_1", "amount": 500, "currency": "u"}),
            "data.object.currency must be a 3-letter ISO 4217 code, not 'u'",
        ),
        (
            event("transfer.created", {"id": "tr_1", "amount": 1.5, "currency": "usd"}),
            "data.object.amount must be a whole number from 0 to 1000000000000000",
        ),
    ],
)
def test_a_signed_malformed_event_is_a_400_and_recorded(body, reason):
    response = post(body, **signed_headers(body))

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "webhook_malformed",
        "message": f"malformed event: {reason}",
        "details": {"event": "evt_1"},
    }
    record = WebhookEvent.objects.get()
    assert (record.event_id, record.status, record.error) == (
        "evt_1",
        "FAILED",
        f"malformed event: {reason}",
    )
    assert not Payout.objects.exists()


def test_a_signed_body_nested_a_hundred_thousand_deep_is_a_400():
    body = "[" * 100_000 + "]" * 100_000

    response = post(body, **signed_headers(body))

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"body": ["nested deeper than 64 levels"]}
    assert not WebhookEvent.objects.exists()


def test_a_signed_event_with_an_id_longer_than_the_record_is_a_400():
    body = json.dumps({**json.loads(event()), "id": "evt_" + "x" * 300})

    response = post(body, **signed_headers(body))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_signature_invalid"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(("offset_s", "status"), [(-301, 400), (3600, 400), (301, 400), (290, 200)])
def test_a_timestamp_beyond_the_tolerance_either_way_is_refused(offset_s, status):
    body = event()

    response = post(
        body, **signed_headers(body, secret=WEBHOOK_SECRET, at=int(time.time()) + offset_s)
    )

    assert response.status_code == status
    assert WebhookEvent.objects.exists() is (status == 200)
