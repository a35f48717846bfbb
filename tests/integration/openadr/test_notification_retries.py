"""Webhook notifications through a real Celery worker and a real HTTP callback: a failing
(5xx) callback is tried again after a wait that doubles each time, a 4xx is never tried
again, and the worker gives up after OPENADR_WEBHOOK_MAX_ATTEMPTS. Needs a broker and its
result backend (REDIS_URL), as CI's PostgreSQL stage has."""

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from config.celery import app as celery_app
from settlement.openadr import tasks
from tests import live_server
from tests.celery_routing import route_tasks
from tests.integration.metering import processes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

BASE_SECONDS = 0.5
ATTEMPTS = 3


class Callback:
    """A VEN's webhook receiver answering each path with its script of statuses, then 200;
    it notes when each POST arrived."""

    def __init__(self, scripts: dict[str, list[int]]) -> None:
        self.scripts = scripts
        self.arrived: dict[str, list[float]] = {path: [] for path in scripts}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                callback.arrived[self.path].append(time.monotonic())
                script = callback.scripts[self.path]
                self.send_response(script.pop(0) if script else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def serving(callback: Callback) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", live_server.free_port()), callback.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_retries_a_failing_callback_with_backoff_and_stops_when_it_should(
    tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if not django_settings.CELERY_BROKER_URL or not django_settings.CELERY_RESULT_BACKEND:
        pytest.skip("needs a broker and a result backend (REDIS_URL)")
    queue = f"oadr-retries-{os.getpid()}"
    routes_before = dict(celery_app.conf.task_routes or {})
    route_tasks({"openadr.*": {"queue": queue}})
    request.addfinalizer(lambda: route_tasks(routes_before))
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    callback = Callback({"/recovers": [503, 502], "/refuses": [400], "/down": [503] * 10})
    with serving(callback) as base:
        env = {
            **processes.environment(database=processes.database_url(), media=settings.MEDIA_ROOT),
            "REDIS_URL": django_settings.REDIS_URL,
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
            "CELERY_RESULT_BACKEND": django_settings.CELERY_RESULT_BACKEND,
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({}),
            "OPENADR_CALLBACK_ALLOWED_PREFIXES": f"{base}/",
            "OPENADR_WEBHOOK_RETRY_BASE_SECONDS": str(BASE_SECONDS),
            "OPENADR_WEBHOOK_MAX_ATTEMPTS": str(ATTEMPTS),
        }
        log = tmp_path / "worker.log"
        worker = processes.start_worker(queue, env, log)
        try:
            results = {
                path: tasks.deliver_notification.delay(
                    subscription_id=1, url=f"{base}{path}", bearer_token=None, body='{"a": 1}'
                )
                for path in callback.scripts
            }
            statuses = {path: result.get(timeout=60) for path, result in results.items()}
        finally:
            worker.terminate()
            worker.wait(timeout=30)

    # 503, 502, then 200 on the third try; a 400 once; a callback down for good gets
    # ATTEMPTS tries and the worker gives up (0).
    assert statuses == {"/recovers": 200, "/refuses": 0, "/down": 0}, log.read_text()
    counts = {path: len(times) for path, times in callback.arrived.items()}
    assert counts == {"/recovers": 3, "/refuses": 1, "/down": ATTEMPTS}
    # The waits double: at least 0.5 s before the second try, at least 1 s before the third.
    for path in ("/recovers", "/down"):
        first, second, third = callback.arrived[path]
        assert second - first >= BASE_SECONDS, path
        assert third - second >= 2 * BASE_SECONDS, path
