"""Celery tasks of events (beat, and after ingestion): each reads the clock and makes one
operations call."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from settlement.events import operations
from settlement.metering import readings_written as metering_readings


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


@shared_task(name="events.measure_for_readings", acks_late=True)
def measure_for_readings(*, spans: list[list[object]]) -> dict[str, int]:
    """Measure the deliveries new readings may complete: `spans` are [channel id, start,
    end] with ISO 8601 instants (JSON, as the broker carries them)."""
    return operations.measure_covered_events(
        spans=[
            operations.ChannelSpan(
                channel_id=int(str(channel_id)),
                start=datetime.fromisoformat(str(start)),
                end=datetime.fromisoformat(str(end)),
            )
            for channel_id, start, end in spans
        ],
        now=timezone.now(),
    )


def readings_written(written: metering_readings.Written) -> None:
    """Queue the measurement of what an upload's readings may complete (metering's follower)."""
    measure_for_readings.delay(
        spans=[
            [span.channel_id, span.start.isoformat(), span.end.isoformat()]
            for span in written.spans
        ]
    )
