"""Celery tasks of events, run by beat: each reads the clock and makes one operations call."""

from celery import shared_task
from django.utils import timezone

from settlement.events import operations


@shared_task(name="events.send_offer_notices", acks_late=True)
def send_offer_notices() -> int:
    """Email owners about new and changed offers; return how many were sent."""
    return operations.send_offer_notices(now=timezone.now())


@shared_task(name="events.send_reminders", acks_late=True)
def send_reminders() -> int:
    """Remind owners of offers whose deadline is near; return how many were sent."""
    return operations.send_reminders(now=timezone.now())


@shared_task(name="events.expire_offers", acks_late=True)
def expire_offers() -> int:
    """Expire unanswered offers past their deadline; return how many."""
    return operations.expire_offers(now=timezone.now())


@shared_task(name="events.measure_deliveries", acks_late=True)
def measure_deliveries() -> dict[str, int]:
    """Measure (or re-measure after revised readings) deliveries of recent events."""
    return operations.measure_completed_events(now=timezone.now())
