"""The Celery app: queues, routes and the beat schedule, defined in one place."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("v2g_settlement")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Queues are split by the kind of work so a slow ingest never delays a payout.
app.conf.task_queues = (
    Queue("default"),
    Queue("ingest"),
    Queue("settlement"),
    Queue("payouts"),
)

# Every task is routed by the prefix of its explicit name; this is the one place that says
# which queue a task runs on.
app.conf.task_routes = {
    "accounts.*": {"queue": "default"},
    "metering.*": {"queue": "ingest"},
    "tariffs.*": {"queue": "default"},
    "statements.*": {"queue": "settlement"},
    "payouts.*": {"queue": "payouts"},
    "events.*": {"queue": "default"},
    "openadr.*": {"queue": "default"},
}

# Periodic jobs. Tasks named here are registered by the apps that own them.
app.conf.beat_schedule = {
    "system-heartbeat": {
        "task": "accounts.heartbeat",
        "schedule": 300.0,
    },
    # Offers: tell owners promptly, remind them before the deadline, expire the unanswered.
    "events-offer-notices": {"task": "events.send_offer_notices", "schedule": 60.0},
    "events-reminders": {"task": "events.send_reminders", "schedule": 300.0},
    "events-expire-offers": {"task": "events.expire_offers", "schedule": 60.0},
    # Delivery after events end, and again when readings in their window are revised.
    "events-measure-deliveries": {"task": "events.measure_deliveries", "schedule": 900.0},
    # OpenADR subscribers hear of events changed on the staff page within seconds.
    "openadr-notify-event-changes": {"task": "openadr.notify_event_changes", "schedule": 10.0},
    # Hourly, so each program's month is settled soon after it closes in its own zone
    # (the task skips programs whose last month already has an initial run).
    "statements-start-closed-period-runs": {
        "task": "statements.start_closed_period_runs",
        "schedule": 3600.0,
    },
    # Hourly: pays balances that are due, resends payouts whose backoff is over and
    # reconciles unknown outcomes.
    "payouts-run": {
        "task": "payouts.run_payouts",
        "schedule": 3600.0,
    },
}

app.autodiscover_tasks()
# Settlement's tasks live in its rooms (runs, and review's "statement ready" email), not at
# the app's top level where autodiscovery looks.
app.autodiscover_tasks(["settlement.statements.runs", "settlement.statements.review"])
