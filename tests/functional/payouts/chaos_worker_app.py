"""The Celery app of the chaos test's own worker: every payout task on the test's own queue.

A shared worker may consume the `payouts` queue of the same broker (CI starts one, without
Stripe settings). Whatever the chaos worker queues itself (the reconciliation after an
unknown outcome, the send after it, a retry) must come back to the chaos worker, so its
app routes payout tasks to `CHAOS_PAYOUT_QUEUE`; the test routes its own dispatches there
with `payouts_routed_to`. Start the worker with `celery -A tests.functional.payouts.chaos_worker_app`.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from config.celery import app
from tests.celery_routing import route_tasks

PAYOUT_TASKS = "payouts.*"


@contextmanager
def payouts_routed_to(queue: str) -> Iterator[None]:
    """Send payout tasks from this process to `queue` while the block runs."""
    saved = dict(app.conf.task_routes)
    route_tasks({**saved, PAYOUT_TASKS: {"queue": queue}})
    try:
        yield
    finally:
        route_tasks(saved)


if os.environ.get("CHAOS_PAYOUT_QUEUE"):
    route_tasks({**app.conf.task_routes, PAYOUT_TASKS: {"queue": os.environ["CHAOS_PAYOUT_QUEUE"]}})
