"""Stripe events: recorded once by event id, in the same transaction as their effect.

Platform events (`transfer.*`) and Connect events (`account.updated`, `payout.*`, which
carry the connected account in `account`) arrive at the same endpoint. An event type not
listed in HANDLERS is recorded as IGNORED, on purpose.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from settlement.errors import DomainError
from settlement.payouts import gateway, onboarding, operations, webhook_shape
from settlement.payouts.models import WebhookEvent


class WebhookMalformed(DomainError):
    """A signed event whose values no handler can use (recorded FAILED first)."""

    code = "webhook_malformed"
    http_status = 400


class LivemodeMismatch(DomainError):
    """A live event reached a test key's endpoint, or the other way round."""

    code = "webhook_livemode_mismatch"
    http_status = 400


Handler = Callable[[dict[str, Any], datetime], None]


def _account_updated(event: dict[str, Any], now: datetime) -> None:
    account = gateway.account_from_event_object(event["data"]["object"])
    onboarding.apply_account_state(
        stripe_account_id=account.id,
        account=account,
        now=now,
        as_of=datetime.fromtimestamp(int(event["created"]), tz=UTC),
    )


def _transfer_created(event: dict[str, Any], now: datetime) -> None:
    operations.confirm_transfer(
        transfer=gateway.transfer_from_event_object(event["data"]["object"]), now=now
    )


def _transfer_reversed(event: dict[str, Any], now: datetime) -> None:
    operations.record_transfer_reversal(
        transfer=gateway.transfer_from_event_object(event["data"]["object"]), now=now
    )


def _payout_failed(event: dict[str, Any], now: datetime) -> None:
    payout = event["data"]["object"]
    operations.record_bank_return(
        stripe_account_id=str(event.get("account") or ""),
        stripe_payout_id=str(payout["id"]),
        cents=gateway.ledger_cents(amount=payout["amount"]),
        currency=str(payout["currency"]),
        reason=str(payout.get("failure_message") or payout.get("failure_code") or "returned"),
        now=now,
    )


def _payout_paid(event: dict[str, Any], now: datetime) -> None:
    # The bank payout of a connected account went through: our payouts were final when the
    # transfer was made, so there is nothing to change; the event is kept as a record.
    return


HANDLERS: dict[str, Handler] = {
    "account.updated": _account_updated,
    "transfer.created": _transfer_created,
    "transfer.reversed": _transfer_reversed,
    "payout.failed": _payout_failed,
    "payout.paid": _payout_paid,
}


def _record(event: dict[str, Any], *, status: str, error: str, now: datetime) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event_id=event["id"],
        # Cut to the columns: a malformed event is recorded too, with its reason.
        type=str(event.get("type", ""))[: webhook_shape.LONGEST_TYPE],
        account=str(event.get("account") or "")[: webhook_shape.LONGEST_ACCOUNT],
        livemode=bool(event.get("livemode")),
        payload=event,
        status=status,
        error=error,
        received_at=now,
    )


def receive_event(*, event: dict[str, Any], now: datetime) -> tuple[WebhookEvent, bool]:
    """Return the recorded event and whether it was new, applying its effect once.

    The record and the effect commit together; a second delivery of the same event id
    changes nothing but the delivery count. A domain error in the effect is recorded as
    FAILED with its message (a retry would fail the same way). Raises WebhookMalformed for
    an event whose values no handler can use (`webhook_shape`) and LivemodeMismatch for an
    event whose `livemode` differs from the configured key's, each after recording it.
    """
    livemode_ok = bool(event.get("livemode")) == gateway.expected_livemode()
    malformed = webhook_shape.problem_of(event)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = _record(
                    event,
                    status=WebhookEvent.Status.PROCESSED,
                    error="",
                    now=now,
                )
        except IntegrityError:
            WebhookEvent.objects.filter(event_id=event["id"]).update(deliveries=F("deliveries") + 1)
            return WebhookEvent.objects.get(event_id=event["id"]), False
        handler = HANDLERS.get(record.type)
        if malformed is not None:
            record.status = WebhookEvent.Status.FAILED
            record.error = f"malformed event: {malformed}"
        elif not livemode_ok:
            record.status = WebhookEvent.Status.FAILED
            record.error = (
                f"livemode {record.livemode} does not match the configured "
                f"{'live' if gateway.expected_livemode() else 'test'} key"
            )
        elif handler is None:
            record.status = WebhookEvent.Status.IGNORED
            record.error = f"event type {record.type} is not handled"
        else:
            try:
                with transaction.atomic():
                    handler(event, now)
            except (DomainError, KeyError, TypeError, ValueError) as error:
                # A malformed object or a domain refusal: the same event will fail the
                # same way, so it is recorded rather than retried forever.
                record.status = WebhookEvent.Status.FAILED
                record.error = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        record.save(update_fields=["status", "error"])
    if malformed is not None:
        raise WebhookMalformed(record.error, details={"event": record.event_id})
    if not livemode_ok:
        raise LivemodeMismatch(record.error, details={"event": record.event_id})
    return record, True
