"""Celery tasks of payouts: load by id, one operations call."""

from typing import Any

from celery import shared_task
from django.utils import timezone

from settlement.payouts import operations


@shared_task(name="payouts.send_payout", bind=True, acks_late=True, max_retries=None)
def send_payout(self: Any, *, payout_id: int) -> str:
    """Send one payout to Stripe; retried with backoff only for errors that can recover."""
    outcome = operations.send_payout(payout_id=payout_id, now=timezone.now())
    if outcome.retry_in_s is not None and not self.request.is_eager:
        # In-process (no broker) the next run_payouts resends it when its backoff is over.
        raise self.retry(countdown=outcome.retry_in_s)
    return outcome.status


@shared_task(name="payouts.reconcile_payout", acks_late=True)
def reconcile_payout(*, payout_id: int) -> str:
    """Settle one payout whose outcome is unknown by listing its transfer group."""
    return operations.reconcile_payout(payout_id=payout_id, now=timezone.now())


@shared_task(name="payouts.run_payouts", acks_late=True)
def run_payouts() -> dict[str, int]:
    """The beat job: pay every balance that is due, resend and reconcile what is pending."""
    summary = operations.run_payouts(now=timezone.now())
    return {
        "created": summary.created,
        "sent": summary.sent,
        "skipped": summary.skipped,
        "failed": summary.failed,
        "unknown": summary.unknown,
        "total": summary.total,
    }
