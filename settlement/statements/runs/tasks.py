"""Celery tasks of settlement: settle one chunk of a run; start runs for closed periods."""

import logging
from typing import Any

from celery import Task, shared_task
from django.utils import timezone

from settlement.statements.runs import operations

logger = logging.getLogger(__name__)


class _FailsRunOnError(Task):
    """A chunk task whose final failure, whatever the error, marks its run failed."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        operations.fail_chunk(
            run_id=kwargs["run_id"],
            chunk_index=kwargs["chunk_index"],
            error=f"{type(exc).__name__}: {exc}",
            now=timezone.now(),
        )


@shared_task(name="statements.settle_chunk", acks_late=True, base=_FailsRunOnError)
def settle_chunk(*, run_id: int, chunk_index: int) -> str:
    """Settle one chunk of a run (a no-op when it was already settled); return its status."""
    chunk = operations.settle_chunk(run_id=run_id, chunk_index=chunk_index, now=timezone.now())
    return chunk.status


@shared_task(name="statements.start_closed_period_runs", acks_late=True)
def start_closed_period_runs() -> list[int]:
    """Start the initial run of last month for every program due; return the run ids."""
    due = operations.start_due_initial_runs(now=timezone.now())
    for code, message in due.refused.items():
        logger.warning("not settling %s: %s", code, message)
    return [run.pk for run in due.started]
