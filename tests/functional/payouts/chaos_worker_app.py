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

PAYOUT_TASKS = "payouts.*"


def _route_payouts(routes: dict[str, dict[str, str]]) -> None:
    app.conf.task_routes = routes
    # The route table and router are built once and cached; rebuild them from the new routes.
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()


@contextmanager
def payouts_routed_to(queue: str) -> Iterator[None]:
    """Send payout tasks from this process to `queue` while the block runs."""
    saved = dict(app.conf.task_routes)
    _route_payouts({**saved, PAYOUT_TASKS: {"queue": queue}})
    try:
        yield
    finally:
        _route_payouts(saved)


if os.environ.get("CHAOS_PAYOUT_QUEUE"):
    _route_payouts(
        {**app.conf.task_routes, PAYOUT_TASKS: {"queue": os.environ["CHAOS_PAYOUT_QUEUE"]}}
    )
