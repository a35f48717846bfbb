"""Results the day after through a real Celery worker: the ingestion's commit queues the
measurement on the broker, a worker of this test's own measures the delivery and tells the
owner. No beat runs. Needs PostgreSQL and a broker (REDIS_URL), as CI has."""

import json
import os
import time
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection

from config.celery import app as celery_app
from settlement.events.models import Delivery
from settlement.notices.models import Notification
from tests.celery_routing import route_tasks
from tests.integration.metering import processes
from tests.notice_fixtures import accepted_event_yesterday, evening_file, ingest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

DEADLINE_S = 60


def test_a_worker_measures_the_event_and_tells_the_owner_after_ingestion(
    tmp_path, settings, monkeypatch, request
):
    if connection.vendor != "postgresql" or not django_settings.CELERY_BROKER_URL:
        pytest.skip("needs PostgreSQL and a broker (REDIS_URL)")
    queue = f"i21-results-{os.getpid()}"
    # Our own queue and worker: the suite's shared worker must not take this task.
    routes_before = dict(celery_app.conf.task_routes or {})
    route_tasks({"events.*": {"queue": queue}})
    request.addfinalizer(lambda: route_tasks(routes_before))
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    env = {
        **processes.environment(database=processes.database_url(), media=settings.MEDIA_ROOT),
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({}),
    }
    env.pop("CELERY_RESULT_BACKEND", None)
    accepted = accepted_event_yesterday()
    log = tmp_path / "worker.log"
    worker = processes.start_worker(queue, env, log)
    try:
        # Committed at once (this test runs outside a transaction): the follower queues
        # `events.measure_for_readings` on the broker for the worker.
        ingest(evening_file(accepted))
        deadline = time.monotonic() + DEADLINE_S
        while not Notification.objects.filter(kind="RESULTS_MEASURED").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise AssertionError(f"no results notification; worker log:\n{log.read_text()}")
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    delivery = Delivery.objects.get(offer=accepted.offer, superseded_at__isnull=True)
    # 3,600 + 3,500 Wh = 7.1 kWh x $2.00/kWh = $14.20 (below the 23 kWh commitment).
    assert (delivery.delivered_wh, delivery.amount) == (Decimal(7100), Decimal("14.20"))
    (notification,) = Notification.objects.all()
    assert (notification.user_id, notification.emailed_to) == (
        accepted.owner.user.pk,
        "owner@example.com",
    )
    assert "delivered 7.1 kWh, estimated $14.20, to be confirmed in your statement" in (
        notification.body
    )
    assert "Task events.measure_for_readings" in log.read_text()
