"""Notifications to subscribers: which callbacks hear of an operation, signed deliveries.

A notification is the spec's `notification` object: `objectType`, `operation`, `object`.
Each delivery is signed with HMAC-SHA256 over `<timestamp>.<body>` (header
`X-OpenADR-Signature: t=<unix seconds>,v1=<hex>`) and carries the subscription's bearer
token as `Authorization: Bearer`, so the VEN can check both who sent it and that it is whole.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings

from settlement.events.models import DispatchEvent
from settlement.openadr import callbacks, mqtt, present, queries, wire
from settlement.openadr.models import EventNotice, Subscription, Ven

# The 3.0-era HTTP verbs a subscription may list, as the 3.1.0 operation each stands for.
OPERATION_ALIASES = {"GET": "READ", "POST": "CREATE", "PUT": "UPDATE"}


def subscribed_operations(listed: object) -> set[str]:
    """Return the 3.1.0 operations (READ, CREATE, UPDATE, DELETE) a subscription lists."""
    names = listed if isinstance(listed, list) else []
    return {OPERATION_ALIASES.get(str(name), str(name)) for name in names}


@dataclass(frozen=True)
class Delivery:
    """One callback to call with one notification body."""

    subscription_id: int
    url: str
    bearer_token: str | None
    body: str


class RetryableDeliveryError(Exception):
    """The callback could not be reached, timed out, or answered 5xx: try again later."""


class DeliveryRefused(Exception):
    """The callback answered 4xx, or its URL is no longer allowed: do not try again."""


def notification_body(
    *, event: DispatchEvent, operation: str, visible_targets: frozenset[str] | None
) -> str:
    """Return the spec's `notification` of an EVENT operation, as JSON, showing only the
    targets its reader may see (None: all)."""
    shown = present.event(event, visible_targets=visible_targets)
    return wire.dumps({"objectType": "EVENT", "operation": operation, "object": shown})


def mqtt_messages(*, event: DispatchEvent, operation: str) -> list[tuple[str, str]]:
    """Return the `(topic, body)` MQTT messages of an event operation: the all-events and
    program topics, and the VEN-scoped topic of each VEN that may read it (none when the
    MQTT binding is off)."""
    if not mqtt.enabled():
        return []
    everything = notification_body(event=event, operation=operation, visible_targets=None)
    vens = Ven.objects.select_related("client").filter(client__is_active=True).order_by("pk")
    messages = [
        (topic, everything)
        for topic in mqtt.event_topics(program_code=event.program.code, operation=operation)
    ]
    for ven in vens:
        if queries.may_see_event(client=ven.client, event=event):
            body = notification_body(
                event=event,
                operation=operation,
                visible_targets=queries.visible_targets(client=ven.client),
            )
            topic = mqtt.ven_event_topic(ven_id=ven.pk, operation=operation)
            messages.append((topic, body))
    return messages


def event_deliveries(*, event: DispatchEvent, operation: str) -> list[Delivery]:
    """Return a delivery per callback subscribed to EVENT `operation` (CREATE, UPDATE or
    DELETE, the spec's `notification.operation`) whose client may read
    the event (of its program, when the subscription names one)."""
    found = []
    subscriptions = Subscription.objects.select_related("client", "client__aggregator").filter(
        client__is_active=True
    )
    for subscription in subscriptions.order_by("pk"):
        if subscription.program_id not in (None, event.program_id):
            continue
        if not queries.may_see_event(client=subscription.client, event=event):
            continue
        body = notification_body(
            event=event,
            operation=operation,
            visible_targets=queries.visible_targets(client=subscription.client),
        )
        for item in subscription.object_operations:
            if "EVENT" in item["objects"] and operation in subscribed_operations(
                item["operations"]
            ):
                found.append(
                    Delivery(
                        subscription_id=subscription.pk,
                        url=str(item["callbackUrl"]),
                        bearer_token=item.get("bearerToken"),
                        body=body,
                    )
                )
    return found


def record_notice(*, event: DispatchEvent) -> None:
    """Remember that subscribers heard of the event's current modification."""
    EventNotice.objects.update_or_create(
        event=event,
        defaults={
            "notified_modification": event.modification,
            "notified_cancelled": event.cancelled_at is not None,
        },
    )


def events_behind_notice(*, since: datetime) -> list[tuple[DispatchEvent, str]]:
    """Return events changed since `since` that subscribers have not heard of (changes made
    on the staff page or by a command), with the operation to tell them."""
    changed = []
    events = DispatchEvent.objects.select_related("program").filter(modified_at__gte=since)
    for event in events.order_by("pk"):
        notice = EventNotice.objects.filter(event=event).first()
        if notice is None:
            operation = "DELETE" if event.cancelled_at else "CREATE"
        elif event.cancelled_at is not None and not notice.notified_cancelled:
            operation = "DELETE"
        elif notice.notified_modification != event.modification:
            operation = "UPDATE"
        else:
            continue
        changed.append((event, operation))
    return changed


def signature(*, body: str, timestamp: int) -> str:
    """Return the `X-OpenADR-Signature` header value of `body` sent at `timestamp`."""
    key = settings.OPENADR_WEBHOOK_SIGNING_KEY.encode()
    digest = hmac.new(key, f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(*, delivery: Delivery, timestamp: int) -> int:
    """POST the notification to its callback; return the status code.

    Raises DeliveryRefused (URL not allowed, 4xx) or RetryableDeliveryError (network,
    timeout, 5xx). Redirects are not followed: they could lead outside the allow-list.
    """
    if not callbacks.allowed(delivery.url):
        raise DeliveryRefused(f"{delivery.url} is not under an allowed callback prefix")
    headers = {
        "Content-Type": "application/json",
        "X-OpenADR-Signature": signature(body=delivery.body, timestamp=timestamp),
    }
    if delivery.bearer_token:
        headers["Authorization"] = f"Bearer {delivery.bearer_token}"
    try:
        answer = requests.post(
            delivery.url,
            data=delivery.body.encode(),
            headers=headers,
            timeout=float(settings.OPENADR_WEBHOOK_TIMEOUT_SECONDS),
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise RetryableDeliveryError(f"{delivery.url}: {type(error).__name__}") from error
    if answer.status_code >= 500:
        raise RetryableDeliveryError(f"{delivery.url} answered {answer.status_code}")
    if answer.status_code >= 400:
        raise DeliveryRefused(f"{delivery.url} answered {answer.status_code}")
    return answer.status_code
