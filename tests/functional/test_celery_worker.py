"""Tasks really go through the broker to a Celery worker (CI starts one on Redis)."""

import os

import pytest
from celery.result import EagerResult
from django.conf import settings
from django.db import connection

from accounts import tasks
from config.celery import app

needs_broker = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL and a running worker (.ci/run)"
)


@pytest.mark.integration
@needs_broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_task_from_the_broker_against_the_test_database():
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert app.control.ping(timeout=5.0), "no Celery worker answered on the broker"

    result = tasks.heartbeat.delay().get(timeout=30)

    assert result == {
        "ok": True,
        "vendor": connection.vendor,
        "database": connection.settings_dict["NAME"],
    }


@pytest.mark.django_db
def test_without_a_broker_a_task_runs_in_process_on_the_test_database():
    if os.environ.get("REDIS_URL"):
        pytest.skip("a broker is configured")

    result = tasks.heartbeat.delay()

    # Run here and now: an eager result, computed on this process's (test) database.
    assert isinstance(result, EagerResult)
    assert result.get() == {
        "ok": True,
        "vendor": connection.vendor,
        "database": connection.settings_dict["NAME"],
    }
