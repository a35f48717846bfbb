"""Chaos: payouts under random faults end with exactly one transfer each, ledger to the cent.

Faults, drawn per payout with a fixed seed: a timeout after the transfer was made, a 500
before and after it, a busy key (409), duplicated send tasks, and dropped, duplicated and
reordered webhooks. The worker test adds a real SIGKILL of the Celery worker while Stripe
holds the answer to a transfer it already made (between the Stripe call and our update).

`CHAOS_PAYOUTS` sets the count (`make chaos` runs 1,000 with a worker).
"""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Participant
from config.celery import app as celery_app
from settlement.payouts import operations, reconciliation, tasks
from settlement.payouts.models import Payout, PayoutAccount
from tests.factories import EnrollmentFactory, ParticipantFactory
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


def queue_faults(fake_stripe, count, rng, *, kill_hang_s=0.0):
    faults = []
    for _ in range(count):
        kind = rng.choice(STRIPE_FAULTS)
        if kind == "none":
            continue
        fault = {"op": "create_transfer", "kind": kind}
        if kind == "timeout_after":
            fault["hang_seconds"] = 0
        faults.append(fault)
    if kill_hang_s:
        # Stripe makes the transfer and holds the answer; the test kills the worker meanwhile.
        hang = {"op": "create_transfer", "kind": "timeout_after", "hang_seconds": kill_hang_s}
        faults += [dict(hang) for _ in range(max(1, count // 25))]
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
    assert (
        report["ledger_cents"]
        == report["gateway_cents"]
        == sum(t["amount"] for t in transfers)
        == sum(expected.values())
    )
    return {"payouts": len(payouts), "transfers": len(transfers), "cents": report["gateway_cents"]}


def settle(deadline_s, *, tick=None, run_every_s=0.0):
    """Run payout runs (resend due payouts, reconcile unknown ones) until all are final.

    `tick` is called every half second; a payout run at most every `run_every_s`, as the
    beat would (each run re-queues whatever waits, so a tight loop would flood the queue).
    """
    deadline = time.monotonic() + deadline_s
    last_run = float("-inf")
    while time.monotonic() < deadline:
        if tick:
            tick()
        if time.monotonic() - last_run >= run_every_s:
            operations.run_payouts(now=timezone.now())
            last_run = time.monotonic()
        if not Payout.objects.filter(status__in=Payout.OPEN_STATUSES).exists():
            return
        time.sleep(0.5)
    raise AssertionError(
        f"payouts still open: {list(Payout.objects.filter(status__in=Payout.OPEN_STATUSES).values_list('pk', 'status'))}"
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


def _worker(queue, env, index):
    return subprocess.Popen(  # noqa: S603 - our own celery, fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--hostname",
            f"i12-chaos-{index}-{os.getpid()}@%h",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("CHAOS_WORKER"), reason="make chaos runs it (CHAOS_WORKER=1)"
)
def test_chaos_with_a_real_worker_killed_mid_transfer(
    fake_stripe, program, live_server, settings, monkeypatch
):
    if connection.vendor != "postgresql" or not django_settings.CELERY_BROKER_URL:
        pytest.skip("needs PostgreSQL and a broker (REDIS_URL)")
    count = int(os.environ.get("CHAOS_PAYOUTS", "40"))
    rng = random.Random(1000)
    queue = f"i12-chaos-{os.getpid()}"
    # Our own queue: the suite's worker has no Stripe settings and must not take these.
    monkeypatch.setitem(celery_app.conf, "task_routes", {"payouts.*": {"queue": queue}})
    # Through the broker to that worker, not in this process as the other payout tests.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    settings.PAYOUT_SENDING_STALE_SECONDS = 4
    # Payout runs every 10 s re-queue only what sat still for 20 s.
    settings.PAYOUT_REDISPATCH_AFTER_SECONDS = 20
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
    queue_faults(fake_stripe, count, rng, kill_hang_s=8)
    workers = [_worker(queue, env, 0)]
    kills = 0
    armed = True

    def kill_while_stripe_holds_the_answer():
        # One kill per held answer: the fake keeps the dead connection open a while.
        nonlocal kills, armed
        hanging = fake_stripe.state()["hanging"]
        if hanging and armed and workers[-1].poll() is None:
            workers[-1].send_signal(signal.SIGKILL)
            workers[-1].wait()
            kills += 1
            armed = False
            workers.append(_worker(queue, env, len(workers)))
        elif not hanging:
            armed = True

    try:
        operations.run_payouts(now=timezone.now())
        for payout_id in rng.sample(
            list(Payout.objects.values_list("pk", flat=True)), k=count // 4
        ):
            tasks.send_payout.apply_async(kwargs={"payout_id": payout_id})
        settle(max(600, count * 3), tick=kill_while_stripe_holds_the_answer, run_every_s=10)
        fake_stripe.call("/_fake/webhooks/release", {})
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)

    figures = check_exactly_once(fake_stripe, expected)
    faults = Counter((fault["kind"]) for fault in fake_stripe.state()["faults"])
    print(f"chaos: {figures}, worker kills: {kills}, faults left unused: {dict(faults)}")  # noqa: T201 - the figures make chaos reports
    assert kills >= 1
    assert Participant.objects.count() == count
