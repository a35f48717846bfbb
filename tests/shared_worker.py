"""A transactional test's tasks finish on the suite's shared worker before its tables are
emptied.

With a broker (CI), the tasks a test's commits queue go to the shared Celery worker: an
ingestion, for one, queues the measurement of the events its readings complete. If that task
still reads the tables while pytest-django empties them after a transactional test, the
TRUNCATE and the task's query can deadlock; PostgreSQL then cancels the TRUNCATE and the
next test starts on the last one's rows (CI failed so, once). So such a test waits, after it
ends and before the flush, for the tasks it sent to the shared worker's queues.
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.result import AsyncResult
from celery.signals import after_task_publish
from django.conf import settings

from config.celery import app as celery_app

# The queues .ci/run's shared worker consumes; a test with a worker of its own routes its
# tasks elsewhere, and those are that test's business.
SHARED_QUEUES = frozenset({"default", "ingest", "settlement", "payouts"})
# Longer than any one task of the suite takes; past it the flush goes ahead and says why it
# failed, if it does.
WAIT_S = 60.0


def is_transactional(request: pytest.FixtureRequest) -> bool:
    """Whether the test commits for real (so its tasks can reach a worker)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def shared_worker_done_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    if not settings.CELERY_BROKER_URL or not is_transactional(request):
        yield
        return
    # Set up before this fixture, so that its flush is torn down after this one waits.
    request.getfixturevalue("_django_db_helper")
    sent: list[str] = []

    def record(headers: dict[str, Any] | None = None, routing_key: str = "", **_: Any) -> None:
        if headers and routing_key in SHARED_QUEUES:
            sent.append(str(headers["id"]))

    after_task_publish.connect(record, weak=False)
    try:
        yield
    finally:
        after_task_publish.disconnect(record)
        wait_for(sent)


def wait_for(task_ids: list[str]) -> None:
    """Wait until the worker has finished each task (success or failure), up to WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    pending = [AsyncResult(task_id, app=celery_app) for task_id in task_ids]
    while pending and time.monotonic() < deadline:
        pending = [result for result in pending if not result.ready()]
        if pending:
            time.sleep(0.02)
