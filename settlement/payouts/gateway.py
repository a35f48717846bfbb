"""The one module that talks to Stripe: the real `stripe` library, amounts in integer cents.

Everything else in the service sees plain dataclasses and four kinds of error:
`RetryableGatewayError` (5xx, rate limits, a concurrent request with the same key: the same
request may be sent again under the same idempotency key), `OutcomeUnknown` (a network
failure or timeout: the request may or may not have taken effect, so it must be reconciled
before anything is sent again), `RequestRefused` (4xx: Stripe said no, and saying it again
will not help), and `GatewayNotConfigured`.

`STRIPE_API_BASE` points the library at another address (the local fake in tests and the
demo); the library's own retries are off so that retrying stays a decision of the caller.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from django.conf import settings

from settlement import safe_json
from settlement.errors import DomainError

WEBHOOK_TOLERANCE_S = 300
MAX_EVENT_ID_CHARS = 255


class GatewayError(DomainError):
    """The payment provider did not do what was asked."""

    code = "payment_provider_error"
    http_status = 502


class GatewayNotConfigured(GatewayError):
    """No Stripe secret key is configured, so nothing can be sent to Stripe."""

    code = "stripe_not_configured"
    http_status = 409


class RetryableGatewayError(GatewayError):
    """Stripe failed or was busy; the same request may be sent again under the same key."""

    code = "payment_provider_unavailable"


class OutcomeUnknown(GatewayError):
    """The request may or may not have taken effect (timeout, dropped connection)."""

    code = "payment_provider_outcome_unknown"


class RequestRefused(GatewayError):
    """Stripe refused the request; sending it again will not help."""

    code = "payment_provider_refused"
    http_status = 400


class SignatureInvalid(DomainError):
    """A webhook's `Stripe-Signature` does not match its body, secret or time."""

    code = "webhook_signature_invalid"
    http_status = 400


@dataclass(frozen=True)
class ConnectedAccount:
    """What Stripe says about a connected account."""

    id: str
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: tuple[str, ...]
    disabled_reason: str
    created: int


@dataclass(frozen=True)
class Transfer:
    """A transfer from the platform to a connected account, in integer cents."""

    id: str
    amount_cents: int
    currency: str
    destination: str
    transfer_group: str
    metadata: dict[str, str]
    amount_reversed_cents: int
    created: int


def is_configured() -> bool:
    """Return whether a Stripe secret key is configured."""
    return bool(settings.STRIPE_SECRET_KEY)


def expected_livemode() -> bool:
    """Return whether the configured key is a live key (events must then be live too)."""
    return str(settings.STRIPE_SECRET_KEY).startswith(("sk_live_", "rk_live_"))


def stripe_amount(*, cents: int, currency: str) -> int:
    """Return Stripe's integer amount for ledger cents (both are the currency's minor unit).

    Refuses anything but a positive int: a float or a bool here would be a bug upstream.
    """
    if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
        raise RequestRefused(
            f"an amount sent to Stripe must be a positive integer of cents, got {cents!r}"
        )
    if len(currency) != 3 or not currency.isalpha():
        raise RequestRefused(f"not an ISO 4217 currency: {currency!r}")
    return cents


def ledger_cents(*, amount: object) -> int:
    """Return ledger cents for an amount Stripe reported (an int of the minor unit)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise GatewayError(f"Stripe reported a non-integer amount {amount!r}")
    return amount


def _client() -> stripe.StripeClient:
    if not is_configured():
        raise GatewayNotConfigured("No Stripe secret key is configured (STRIPE_SECRET_KEY).")
    base = settings.STRIPE_API_BASE
    addresses: dict[str, str] = {"api": base, "connect": base} if base else {}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=addresses,  # type: ignore[arg-type]
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _translate(error: stripe.StripeError) -> GatewayError:
    """Return our error for a Stripe library error: retryable, unknown or refused."""
    message = error.user_message or str(error) or type(error).__name__
    details: dict[str, object] = {
        "http_status": error.http_status,
        "stripe_code": error.code or "",
        "request_id": error.request_id or "",
    }
    if isinstance(error, stripe.APIConnectionError):
        return OutcomeUnknown(message, details=details)
    if isinstance(error, stripe.RateLimitError):
        return RetryableGatewayError(message, details=details)
    status = error.http_status or 0
    if status == 409 or status >= 500:
        return RetryableGatewayError(message, details=details)
    return RequestRefused(message, details=details)


def _plain(obj: Any) -> dict[str, Any]:
    # The library's objects are not dicts; events arrive as plain JSON dicts.
    return obj.to_dict() if isinstance(obj, stripe.StripeObject) else dict(obj)


def _account(obj: Any) -> ConnectedAccount:
    obj = _plain(obj)
    requirements = obj.get("requirements") or {}
    due = list(requirements.get("currently_due") or []) + [
        item
        for item in requirements.get("past_due") or []
        if item not in (requirements.get("currently_due") or [])
    ]
    return ConnectedAccount(
        id=str(obj["id"]),
        payouts_enabled=bool(obj.get("payouts_enabled")),
        details_submitted=bool(obj.get("details_submitted")),
        requirements_due=tuple(str(item) for item in due),
        disabled_reason=str(requirements.get("disabled_reason") or ""),
        created=int(obj.get("created") or 0),
    )


def account_from_event_object(obj: dict[str, Any]) -> ConnectedAccount:
    """Return the account snapshot carried by an `account.updated` event."""
    return _account(obj)


def _transfer(obj: Any) -> Transfer:
    obj = _plain(obj)
    metadata = obj.get("metadata") or {}
    return Transfer(
        id=str(obj["id"]),
        amount_cents=ledger_cents(amount=obj["amount"]),
        currency=str(obj["currency"]).upper(),
        destination=str(obj.get("destination") or ""),
        transfer_group=str(obj.get("transfer_group") or ""),
        metadata={str(k): str(v) for k, v in dict(metadata).items()},
        amount_reversed_cents=ledger_cents(amount=obj.get("amount_reversed") or 0),
        created=int(obj.get("created") or 0),
    )


def transfer_from_event_object(obj: dict[str, Any]) -> Transfer:
    """Return the transfer carried by a `transfer.*` event."""
    return _transfer(obj)


def create_connected_account(*, email: str, country: str, participant_ref: str) -> ConnectedAccount:
    """Return a new Express connected account that can receive transfers."""
    try:
        account = _client().v1.accounts.create(
            params={
                "type": "express",
                "country": country,
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"participant": participant_ref},
            },
            options={"idempotency_key": f"v2g-account-{participant_ref}"},
        )
    except stripe.StripeError as error:
        raise _translate(error) from error
    return _account(account)


def retrieve_account(*, account_id: str) -> ConnectedAccount:
    """Return what Stripe says now about a connected account."""
    try:
        return _account(_client().v1.accounts.retrieve(account_id))
    except stripe.StripeError as error:
        raise _translate(error) from error


def create_onboarding_link(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """Return the URL of Stripe-hosted onboarding for the account (valid a few minutes)."""
    try:
        link = _client().v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    except stripe.StripeError as error:
        raise _translate(error) from error
    return str(link.url)


def create_transfer(
    *,
    amount_cents: int,
    currency: str,
    destination: str,
    transfer_group: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> Transfer:
    """Return the transfer made (or the one already made) under `idempotency_key`."""
    params = {
        "amount": stripe_amount(cents=amount_cents, currency=currency),
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": metadata,
    }
    try:
        transfer = _client().v1.transfers.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.IdempotencyError as error:
        # The key was used with other parameters: something is wrong with our row, and a
        # transfer may exist; only a reconciliation can say what happened.
        raise OutcomeUnknown(str(error.user_message or error)) from error
    except stripe.StripeError as error:
        raise _translate(error) from error
    return _transfer(transfer)


def transfers_in_group(*, transfer_group: str) -> list[Transfer]:
    """Return every transfer the platform made in a transfer group."""
    try:
        page = _client().v1.transfers.list(params={"transfer_group": transfer_group, "limit": 100})
        return [_transfer(item) for item in page.auto_paging_iter()]
    except stripe.StripeError as error:
        raise _translate(error) from error


def verified_event(*, payload: bytes, signature_header: str, now: datetime) -> dict[str, Any]:
    """Return the event in a webhook body after checking its signature (300 s tolerance).

    Raises SignatureInvalid when the header is missing or wrong, the body was changed, the
    secret differs or the timestamp is more than the tolerance before or after `now`;
    JsonInvalid for a signed body that is not JSON or nests too deeply;
    GatewayNotConfigured without a secret.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise GatewayNotConfigured("No webhook secret is configured (STRIPE_WEBHOOK_SECRET).")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature_header, secret, WEBHOOK_TOLERANCE_S)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise SignatureInvalid(f"webhook signature rejected: {error}") from error
    # Stripe's library refuses only old timestamps; a signature stamped in the future is as
    # replayable (it stays "fresh" until then), so the tolerance holds both ways.
    signed_at = _signed_at(signature_header)
    if signed_at - now.timestamp() > WEBHOOK_TOLERANCE_S:
        raise SignatureInvalid(
            f"webhook signature rejected: timestamp {signed_at} is more than "
            f"{WEBHOOK_TOLERANCE_S} s in the future"
        )
    event = safe_json.loads(text, field="body")
    event_id = event.get("id") if isinstance(event, dict) else None
    # The id is the record's key (255 characters).
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID_CHARS:
        raise SignatureInvalid("a signed webhook body that is not a Stripe event")
    return event


def _signed_at(signature_header: str) -> int:
    """Return the `t=` timestamp of a header Stripe's library has already accepted."""
    for part in signature_header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            return int(value)
    raise SignatureInvalid("webhook signature rejected: no timestamp")


def all_transfers() -> list[Transfer]:
    """Return every transfer the platform made (for reconciliation)."""
    try:
        page = _client().v1.transfers.list(params={"limit": 100})
        return [_transfer(item) for item in page.auto_paging_iter()]
    except stripe.StripeError as error:
        raise _translate(error) from error
