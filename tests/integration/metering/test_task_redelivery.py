"""The ingest task is acks_late: a real worker SIGKILLed mid-load, its task delivered again.

A first worker takes the task and is SIGKILLed mid-load: it has merged the file's first
chunk, uncommitted, and its second chunk waits on a channel lock this test holds, so the
kill lands mid-load on any machine. The
task is also delivered a second time (a duplicated delivery). A second worker then runs
both: the one the broker gives back once the killed worker's claim on it times out, and the
duplicate. The upload ends PROCESSED once, with every reading and no revision.
"""

import datetime as dt
import io
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from accounts.models import Channel
from config.celery import app as celery_app
from settlement.metering import locks, operations, tasks
from settlement.metering.models import Reading, ReadingRevision, Upload
from tests.celery_routing import route_tasks
from tests.factories import ChannelFactory, EnrollmentFactory, SiteFactory
from tests.integration.metering import processes
from tests.metering_fixtures import canonical

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

# The first meter fills the first chunk (store_postgres.COPY_CHUNK); the second is the next.
FIRST_METER_READINGS = 50_000
SECOND_METER_READINGS = 10_000
READINGS = FIRST_METER_READINGS + SECOND_METER_READINGS
START = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
# How long the broker waits for an acknowledgement before it delivers a task again.
VISIBILITY_TIMEOUT_S = 5
DEADLINE_S = 58


def wait_for(condition: Callable[[], bool], what: str, deadline: float, logs: list[Path]) -> None:
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"-- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.1)


def task_ids(log: Path, event: str) -> set[str]:
    """The ids of the ingest tasks a worker's log says were `received` or `succeeded`."""
    pattern = rf"Task metering\.process_upload\[([0-9a-f-]+)\] {event}"
    return set(re.findall(pattern, log.read_text(errors="replace")))


def results_of(log: Path, task_id: str) -> set[str]:
    """The statuses an ingest task returned, as its worker logged them."""
    pattern = rf"\[{task_id}\] succeeded in [0-9.]+s: '(\w+)'"
    return set(re.findall(pattern, log.read_text(errors="replace")))


def merge_waits_on(channel_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = %s AND objid = %s",
            [locks.CHANNEL_NAMESPACE, channel_id],
        )
        (waiting,) = cursor.fetchone()
    return waiting > 0


def pending_deliveries(broker: redis.Redis, queue: str, ids: set[str]) -> int:
    """Messages of these tasks still queued or delivered but not acknowledged."""
    held = [json.loads(raw)[0] for raw in broker.hvals("unacked")]
    unacked = sum(1 for message in held if message["headers"]["id"] in ids)
    return unacked + int(broker.llen(queue))


def test_a_task_redelivered_after_its_worker_was_killed_processes_the_upload_once(
    tmp_path, settings, monkeypatch, request
):
    if connection.vendor != "postgresql" or not django_settings.CELERY_BROKER_URL:
        pytest.skip("needs PostgreSQL and a broker (REDIS_URL)")
    deadline = time.monotonic() + DEADLINE_S
    queue = f"i7-redelivery-{os.getpid()}"
    # Our own queue and workers: the suite's shared worker must not take these tasks.
    routes_before = dict(celery_app.conf.task_routes or {})
    route_tasks({"metering.*": {"queue": queue}})
    request.addfinalizer(lambda: route_tasks(routes_before))
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    site = SiteFactory(account_number="ACCT-REDELIVER", timezone="UTC")
    EnrollmentFactory(site=site, starts_on=dt.date(2024, 1, 1))
    ChannelFactory(site=site, meter_id="REDO-1", kind=Channel.Kind.SITE_EXPORT)
    channel = ChannelFactory(site=site, meter_id="REDO-2", kind=Channel.Kind.SITE_EXPORT)
    rows = [
        f"{meter},{(START + dt.timedelta(minutes=5 * k)).isoformat()},"
        f"{(START + dt.timedelta(minutes=5 * (k + 1))).isoformat()},7,,"
        for meter, count in (("REDO-1", FIRST_METER_READINGS), ("REDO-2", SECOND_METER_READINGS))
        for k in range(count)
    ]
    env = {
        **processes.environment(database=processes.database_url(), media=settings.MEDIA_ROOT),
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
            # Look for unacknowledged tasks every second rather than every 100 s.
            {
                "visibility_timeout": VISIBILITY_TIMEOUT_S,
                "unacked_restore_interval": 1,
                "unacked_restore_throttle": 1,
            }
        ),
        # Through the merge thread, as the large files workers take are.
        "METERING_PIPELINE_MIN_BYTES": "0",
    }
    env.pop("CELERY_RESULT_BACKEND", None)
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.delete(queue)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    workers: list[subprocess.Popen[bytes]] = []
    with connection.cursor() as cursor:
        # A concurrent load, as far as the worker can tell: it holds the second meter.
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [locks.CHANNEL_NAMESPACE, channel.pk])
    try:
        upload = operations.ingest(
            stream=io.BytesIO(canonical(*rows)),
            filename="redeliver.csv",
            now=dt.datetime.now(dt.UTC),
            background=True,
        ).upload
        assert upload.status == Upload.Status.RECEIVED
        duplicate = tasks.process_upload.apply_async(kwargs={"upload_id": upload.pk})

        workers.append(processes.start_worker(queue, env, first_log))
        wait_for(
            lambda: merge_waits_on(channel.pk), "the first worker's merge", deadline, [first_log]
        )
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait()
        (killed_task,) = task_ids(first_log, "received")
        upload.refresh_from_db()
        assert upload.status == Upload.Status.PROCESSING
        assert not Reading.objects.exists()  # the first chunk was merged, never committed
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [locks.CHANNEL_NAMESPACE, channel.pk]
            )

        workers.append(processes.start_worker(queue, env, second_log))
        ids = {killed_task, duplicate.id}
        wait_for(
            lambda: (
                ids <= task_ids(second_log, "succeeded")
                and pending_deliveries(broker, queue, ids) == 0
            ),
            "the second worker to run the redelivered and the duplicated task",
            deadline,
            [first_log, second_log],
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")
        broker.delete(queue)

    assert results_of(second_log, killed_task) == results_of(second_log, duplicate.id)
    assert results_of(second_log, killed_task) == {"PROCESSED"}
    upload.refresh_from_db()
    assert (upload.status, upload.accepted, upload.duplicates, upload.revised) == (
        Upload.Status.PROCESSED,
        READINGS,
        0,
        0,
    )
    assert Upload.objects.count() == 1
    assert Reading.objects.count() == READINGS
    assert set(Reading.objects.values_list("revision", "wh", "upload_id").distinct()) == {
        (1, 7, upload.pk)
    }
    assert not ReadingRevision.objects.exists()
