"""Celery tasks of the VTN: notify subscribers of event changes, deliver each callback,
publish to the MQTT broker."""

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from settlement.events.models import DispatchEvent
from settlement.openadr import mqtt, notifications

logger = logging.getLogger(__name__)
# Staff-page changes are looked for this far back (the beat runs far more often).
LOOK_BACK = timedelta(hours=1)


@shared_task(name="openadr.notify_event", acks_late=True)
def notify_event(*, event_id: int, operation: str) -> int:
    """Queue a delivery to every callback subscribed to this operation, and the MQTT
    messages of it; return how many callbacks."""
    event = DispatchEvent.objects.select_related("program").get(pk=event_id)
    deliveries = notifications.event_deliveries(event=event, operation=operation)
    messages = notifications.mqtt_messages(event=event, operation=operation)
    notifications.record_notice(event=event)
    if messages:
        publish_mqtt.delay(messages=[[topic, body] for topic, body in messages])
    for delivery in deliveries:
        deliver_notification.delay(
            subscription_id=delivery.subscription_id,
            url=delivery.url,
            bearer_token=delivery.bearer_token,
            body=delivery.body,
        )
    return len(deliveries)


@shared_task(name="openadr.notify_event_changes", acks_late=True)
def notify_event_changes() -> int:
    """Beat: notify subscribers of events changed outside the VTN (staff page, commands)."""
    changed = notifications.events_behind_notice(since=timezone.now() - LOOK_BACK)
    for event, operation in changed:
        notify_event.delay(event_id=event.pk, operation=operation)
    return len(changed)


@shared_task(
    name="openadr.deliver_notification",
    bind=True,
    acks_late=True,
    max_retries=None,
)
def deliver_notification(
    self: Task[..., object],
    *,
    subscription_id: int,
    url: str,
    bearer_token: str | None,
    body: str,
) -> int:
    """POST one notification; retried with exponential backoff while the callback is
    unreachable or failing (5xx), never after a 4xx. Returns the callback's status, or 0
    when it gave up (logged: a refused URL, a 4xx, or the last attempt failing)."""
    delivery = notifications.Delivery(
        subscription_id=subscription_id, url=url, bearer_token=bearer_token, body=body
    )
    try:
        return notifications.deliver(delivery=delivery, timestamp=int(timezone.now().timestamp()))
    except notifications.DeliveryRefused as error:
        logger.warning("notification of subscription %s not delivered: %s", subscription_id, error)
        return 0
    except notifications.RetryableDeliveryError as error:
        attempts = int(settings.OPENADR_WEBHOOK_MAX_ATTEMPTS)
        # In-process (no broker) a retry would block the request that made the change.
        if self.request.is_eager or self.request.retries + 1 >= attempts:
            logger.warning("notification of subscription %s failed: %s", subscription_id, error)
            return 0
        countdown = float(settings.OPENADR_WEBHOOK_RETRY_BASE_SECONDS) * 2**self.request.retries
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(name="openadr.publish_mqtt", bind=True, acks_late=True, max_retries=None)
def publish_mqtt(self: Task[..., object], *, messages: list[list[str]]) -> int:
    """Publish `[topic, body]` messages to the broker; retried with exponential backoff
    while it is unreachable. Returns how many were published (0 when it gave up, logged)."""
    try:
        mqtt.publish_all(messages=[(topic, body) for topic, body in messages])
    except mqtt.PublishFailed as error:
        attempts = int(settings.OPENADR_WEBHOOK_MAX_ATTEMPTS)
        # In-process (no broker) a retry would block the request that made the change.
        if self.request.is_eager or self.request.retries + 1 >= attempts:
            logger.warning("MQTT notifications not published: %s", error)
            return 0
        countdown = float(settings.OPENADR_WEBHOOK_RETRY_BASE_SECONDS) * 2**self.request.retries
        raise self.retry(exc=error, countdown=countdown) from error
    return len(messages)
