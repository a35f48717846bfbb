"""Chaos: payouts under random faults end with exactly one transfer each, ledger to the cent.

Faults, drawn per payout with a fixed seed: a timeout after the transfer was made, a 500
before and after it, a busy key (409), duplicated send tasks, and dropped, duplicated and
reordered webhooks. The worker test adds a real SIGKILL of the Celery worker while Stripe
holds the answer to a transfer it already made (between the Stripe call and our update).

`CHAOS_PAYOUTS` sets the count: 25 in process, 60 with the worker (CI, `CHAOS_WORKER=1`);
`make chaos` runs 1,000 with the worker and prints its figures as one JSON line.
"""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from amqp.exceptions import ChannelError
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Participant
from config.celery import app as celery_app
from settlement.payouts import operations, reconciliation, tasks
from settlement.payouts.models import Payout, PayoutAccount
from tests.factories import EnrollmentFactory, ParticipantFactory
from tests.functional.payouts.chaos_worker_app import payouts_routed_to
from tests.functional.payouts.conftest import give_balance

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
STRIPE_FAULTS = ("none", "none", "timeout_after", "error_before", "error_after", "conflict")
WEBHOOK_FAULTS = ("deliver", "drop", "duplicate", "reorder")


def build(fake_stripe, program, count, rng):
    """Participants with ready accounts and balances; return the cents expected per payout."""
    expected = {}
    for index in range(count):
        participant = ParticipantFactory(email=f"chaos{index}@example.com")
        EnrollmentFactory(participant=participant, site__participant=participant, program=program)
        account = fake_stripe.fake.create_account({"type": "express"})
        account["payouts_enabled"] = True
        PayoutAccount.objects.create(
            participant=participant,
            stripe_account_id=account["id"],
            payouts_enabled=True,
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
        cents = rng.randint(1, 500_000)
        give_balance(participant, program, cents, f"chaos-{index}")
        expected[participant.pk] = cents
    return expected


def queue_faults(fake_stripe, count, rng, *, kill_hang_s=0.0, kill_points=0):
    faults = []
    for _ in range(count):
        kind = rng.choice(STRIPE_FAULTS)
        if kind == "none":
            continue
        fault = {"op": "create_transfer", "kind": kind}
        if kind == "timeout_after":
            fault["hang_seconds"] = 0
        faults.append(fault)
    if kill_points:
        # Stripe makes the transfer and holds the answer; the test kills the worker meanwhile.
        hang = {"op": "create_transfer", "kind": "timeout_after", "hang_seconds": kill_hang_s}
        faults += [dict(hang) for _ in range(kill_points)]
    faults += [{"op": "webhook", "kind": rng.choice(WEBHOOK_FAULTS)} for _ in range(count)]
    rng.shuffle(faults)
    fake_stripe.faults(*faults)


def check_exactly_once(fake_stripe, expected):
    transfers = fake_stripe.transfers()
    per_payout = Counter(t["metadata"]["payout_id"] for t in transfers)
    payouts = {p.pk: p for p in Payout.objects.all()}
    assert sorted(per_payout.values()) == [1] * len(payouts), (
        "a payout was transferred twice or not at all"
    )
    assert {str(pk) for pk in payouts} == set(per_payout)
    assert {p.status for p in payouts.values()} == {Payout.Status.PAID}
    by_participant = {p.participant_id: p.amount_cents for p in payouts.values()}
    assert by_participant == expected
    report = reconciliation.reconcile().as_dict()
    assert report["problems"] == []
    usd = report["currencies"]["USD"]
    assert (
        usd["ledger_cents"]
        == usd["gateway_cents"]
        == sum(t["amount"] for t in transfers)
        == sum(expected.values())
    )
    return {
        "payouts": len(payouts),
        "transfers": len(transfers),
        "ledger_cents": usd["ledger_cents"],
        "fake_transfer_cents": sum(t["amount"] for t in transfers),
    }


def settle(deadline_s, *, tick=None, run_every_s=0.0, queue_drained=None):
    """Run payout runs (resend due payouts, reconcile unknown ones) until all are final.

    `tick` is called every half second; a payout run at most every `run_every_s`, as the
    beat would, and only once `queue_drained()` says the worker has taken every queued
    task: a run re-queues each payout that sat still for PAYOUT_REDISPATCH_AFTER_SECONDS,
    and one while a backlog waits would queue a duplicate of every waiting task, faster
    than the worker drains them (the 1,000 run grew its queue to 14,560 tasks that way).
    """
    deadline = time.monotonic() + deadline_s
    last_run = float("-inf")
    while time.monotonic() < deadline:
        if tick:
            tick()
        due = time.monotonic() - last_run >= run_every_s
        if due and (queue_drained is None or queue_drained()):
            operations.run_payouts(now=timezone.now())
            last_run = time.monotonic()
        if not Payout.objects.filter(status__in=Payout.OPEN_STATUSES).exists():
            return
        time.sleep(0.5)
    open_payouts = Payout.objects.filter(status__in=Payout.OPEN_STATUSES)
    raise AssertionError(
        f"payouts still open after {deadline_s} s: {list(open_payouts.values_list('pk', 'status'))}"
    )


def test_in_process_chaos_ends_with_one_transfer_per_payout(
    fake_stripe, program, request, settings
):
    count = int(os.environ.get("CHAOS_PAYOUTS", "25"))
    settings.PAYOUT_SENDING_STALE_SECONDS = 0
    rng = random.Random(12)
    if connection.vendor == "postgresql":
        # SQLite's in-memory test database cannot take the live server's writes alongside
        # the test's; there the webhooks are left out.
        live_server = request.getfixturevalue("live_server")
        fake_stripe.deliver_to(live_server.url + reverse("api:stripe-webhooks"))
    expected = build(fake_stripe, program, count, rng)
    queue_faults(fake_stripe, count, rng)

    operations.run_payouts(now=timezone.now())
    for payout_id in rng.sample(list(Payout.objects.values_list("pk", flat=True)), k=count // 3):
        tasks.send_payout.apply(kwargs={"payout_id": payout_id})
    fake_stripe.call("/_fake/webhooks/release", {})
    settle(120)

    check_exactly_once(fake_stripe, expected)


class ChaosWorker:
    """The test's own Celery worker on its own queue, which it SIGKILLs and restarts.

    Each kill lands while the fake Stripe server holds the answer to a transfer it already
    made: the worker dies between the Stripe call and the database update.
    """

    def __init__(self, fake_stripe, queue, env, log_dir):
        self.queue = queue
        self.env = {**env, "CHAOS_PAYOUT_QUEUE": queue}
        self.log_dir = log_dir
        self.started = 0
        self.kills = 0
        # The fake calls back in its request thread; the test's loop checks on the worker.
        self.lock = threading.Lock()
        self.process = self._start()
        self.fake = fake_stripe.fake
        self.fake.on_hold = self.kill_and_restart

    def _start(self):
        self.started += 1
        self.log = self.log_dir / f"worker-{self.started}.log"
        with self.log.open("wb") as log:
            return subprocess.Popen(  # noqa: S603 - our own celery, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tests.functional.payouts.chaos_worker_app",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    # One task at a time is taken off the queue, so a kill loses one message.
                    "--prefetch-multiplier=1",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "-Q",
                    self.queue,
                    "--hostname",
                    f"{self.queue}-{self.started}@%h",
                    "--loglevel=WARNING",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill_and_restart(self):
        """SIGKILL the worker while the fake holds its answer, and start a new one."""
        with self.lock:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1
            self.process = self._start()

    def tick(self):
        """Fail at once, with its log, if a worker died of anything but our kill."""
        with self.lock:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the chaos worker exited with {self.process.returncode}:\n"
                    + self.log.read_text()[-3000:]
                )

    def stop(self):
        self.fake.on_hold = None
        with self.lock:
            process = self.process
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


def _queued_tasks(queue):
    with celery_app.connection_for_write() as conn:
        try:
            return conn.default_channel.queue_declare(queue, passive=True).message_count
        except ChannelError:
            # Redis keeps no empty list: a drained queue is no queue at all.
            return 0


def _drop_queue(queue):
    # What the killed workers left unacknowledged is of no use to anyone after the test.
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_delete(queue)
        conn.default_channel.exchange_delete(queue)


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("CHAOS_WORKER"), reason="CI and `make chaos` run it (CHAOS_WORKER=1)"
)
def test_chaos_with_a_real_worker_killed_mid_transfer(
    fake_stripe, program, live_server, settings, monkeypatch
):
    if connection.vendor != "postgresql" or not django_settings.CELERY_BROKER_URL:
        pytest.skip("needs PostgreSQL and a broker (REDIS_URL)")
    count = int(os.environ.get("CHAOS_PAYOUTS", "60"))
    started_at = time.monotonic()
    rng = random.Random(1000)
    # Our own queue: a shared worker on `payouts` (CI's) has no Stripe settings.
    queue = f"chaos-payouts-{os.getpid()}-{time.time_ns()}"
    # Through the broker to that worker, not in this process as the other payout tests.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    settings.PAYOUT_SENDING_STALE_SECONDS = 4
    # Payout runs (every 5 s, once the queue is drained) re-queue what sat still for 10 s:
    # the tasks a killed worker held come back.
    settings.PAYOUT_REDISPATCH_AFTER_SECONDS = 10
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_TIMEOUT_SECONDS": "20",
        "PAYOUT_RETRY_BASE_SECONDS": "0.2",
        "PAYOUT_RECONCILE_DELAY_SECONDS": "0.5",
        "PAYOUT_SENDING_STALE_SECONDS": "4",
    }
    env.pop("DATABASE_TEST_NAME", None)
    fake_stripe.deliver_to(live_server.url + reverse("api:stripe-webhooks"))
    expected = build(fake_stripe, program, count, rng)
    kill_points = max(2, count // 25)
    queue_faults(fake_stripe, count, rng, kill_hang_s=8, kill_points=kill_points)

    duplicates = count // 4
    worker = ChaosWorker(fake_stripe, queue, env, Path(tempfile.mkdtemp(prefix="chaos-worker-")))
    try:
        with payouts_routed_to(queue):
            operations.run_payouts(now=timezone.now())
            for payout_id in rng.sample(
                list(Payout.objects.values_list("pk", flat=True)), k=duplicates
            ):
                tasks.send_payout.apply_async(kwargs={"payout_id": payout_id})
            settle(
                120 + 2 * count,
                tick=worker.tick,
                run_every_s=5,
                queue_drained=lambda: _queued_tasks(queue) == 0,
            )
        fake_stripe.call("/_fake/webhooks/release", {})
    finally:
        worker.stop()
        _drop_queue(queue)

    figures = check_exactly_once(fake_stripe, expected)
    counters = fake_stripe.counters()
    statuses = Counter(Payout.objects.values_list("status", flat=True))
    print(  # noqa: T201 - `make chaos` reports these figures
        "chaos:",
        json.dumps(
            {
                **figures,
                "payouts_by_status": dict(statuses),
                "faults_injected": counters["faults_taken"],
                "faults_unused": counters["faults_left"],
                "duplicate_send_tasks": duplicates,
                "kill_points_queued": kill_points,
                "worker_kills": worker.kills,
                "wall_seconds": round(time.monotonic() - started_at, 1),
            },
            sort_keys=True,
        ),
    )
    # Every answer held open killed the worker.
    assert worker.kills == counters["hangs_started"] >= 1
    assert Participant.objects.count() == count
