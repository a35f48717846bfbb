"""Celery tasks of the accounts app."""

from celery import shared_task
from django.db import connection


@shared_task(name="accounts.heartbeat", acks_late=True)
def heartbeat() -> dict[str, object]:
    """Return a liveness report proving a worker can reach the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone() or (0,)
    return {
        "ok": one == 1,
        "vendor": connection.vendor,
        "database": connection.settings_dict["NAME"],
    }
