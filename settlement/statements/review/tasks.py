"""Celery tasks of review: tell a participant its statement is ready (after approval)."""

from celery import shared_task
from django.utils import timezone

from settlement.statements.review import ready


@shared_task(name="statements.tell_statement_ready", acks_late=True)
def tell_statement_ready(*, statement_id: int) -> bool:
    """Email the statement's participant that it is ready; return whether it was told."""
    return ready.tell_statement_ready(statement_id=statement_id, now=timezone.now())
