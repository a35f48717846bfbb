"""Celery tasks of metering: load by id, one operations call."""

from celery import shared_task
from django.utils import timezone

from settlement.metering import operations


@shared_task(name="metering.process_upload", acks_late=True)
def process_upload(*, upload_id: int) -> str:
    """Process a received upload; return its final status."""
    upload = operations.process_upload(upload_id=upload_id, now=timezone.now())
    return upload.status
