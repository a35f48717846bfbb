"""The embedded SQLite default holds the dev server, a command and webhooks at the same time.

Real separate processes on one SQLite file, as `make run` with `make fake-stripe` has them:
the dev server answers the fake Stripe's webhooks (each a write transaction, an
`account.updated` one even asking Stripe inside it) while `run_payouts` runs in its own
process, again and again, creating payouts whose transfers make more webhooks.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.stripe_server import FakeStripeServer, start_in_thread

ROOT = Path(__file__).resolve().parents[2]
PARTICIPANTS = 8
BALANCE_CENTS = 4_321
WEBHOOK_SECRET = "whsec_concurrency"

SEED = f"""
import datetime as dt
from django.utils import timezone
from accounts.models import Program
from settlement.ledger import booking
from settlement.payouts import onboarding
from tests.factories import EnrollmentFactory, MembershipFactory, ProgramFactory, UserFactory
now = timezone.now()
program = ProgramFactory(code="nbt-export", currency="USD")
for number in range({PARTICIPANTS}):
    email = f"owner{{number}}@example.com"
    membership = MembershipFactory(user=UserFactory(email=email), participant__email=email)
    participant = membership.participant
    EnrollmentFactory(participant=participant, site__participant=participant, program=program)
    booking.book_statement_approval(
        statement_id=1000 + number, run_id=0, period_start=now.date(), program=program,
        participant=participant, currency="USD", cents={BALANCE_CENTS}, now=now,
    )
    onboarding.start_onboarding(participant=participant, refresh_url="http://r",
                                return_url="http://r", now=now)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(var_dir: Path, fake_url: str) -> dict[str, str]:
    # Only what `make run` with the fake sets: no DATABASE_URL (the embedded default, here
    # under a temporary VAR_DIR), no broker, Stripe keys.
    dropped = {"DATABASE_URL", "DATABASE_TEST_NAME", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    base = {key: value for key, value in os.environ.items() if key not in dropped}
    return {
        **base,
        "DEBUG": "1",
        "VAR_DIR": str(var_dir),
        "STRIPE_SECRET_KEY": "sk_test_concurrency",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake_url,
        "PAYOUT_REDISPATCH_AFTER_SECONDS": "0",
    }


def manage(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - a fixed interpreter and our own manage.py
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def fake() -> Iterator[FakeStripeServer]:
    server = start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def dev_server(tmp_path: Path, fake: FakeStripeServer) -> Iterator[tuple[str, dict[str, str]]]:
    env = environment(tmp_path, fake.url)
    for step in (manage("migrate", "--noinput", env=env), manage("shell", "-c", SEED, env=env)):
        assert step.returncode == 0, step.stderr
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - a fixed interpreter and our own manage.py
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=1)  # noqa: S310 - loopback
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.2)
    yield url, env
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_a_command_and_webhooks_run_at_once_on_the_sqlite_default(
    dev_server: tuple[str, dict[str, str]], fake: FakeStripeServer, tmp_path: Path
) -> None:
    url, env = dev_server
    fake.fake.state.webhook_url = url + "/api/v1/stripe/webhooks/"
    fake.fake.state.webhook_secret = WEBHOOK_SECRET
    account_ids = sorted(fake.fake.state.accounts)
    runs: list[subprocess.CompletedProcess[str]] = []

    def complete_accounts() -> None:
        # Each completion sends an account.updated to the dev server, while payouts run.
        for account_id in account_ids:
            link = fake.fake.create_account_link(
                {"account": account_id, "refresh_url": "-", "return_url": "-"}
            )
            fake.fake.complete_onboarding(link["url"].rsplit("/", 1)[-1], with_bank_account=True)
            time.sleep(0.05)

    onboarding = threading.Thread(target=complete_accounts)
    onboarding.start()
    for _ in range(6):
        runs.append(manage("run_payouts", env=env))
    onboarding.join()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(fake.fake.state.deliveries) < len(
        fake.fake.state.events
    ):
        time.sleep(0.1)
    runs.append(manage("run_payouts", env=env))

    assert [run.returncode for run in runs] == [0] * len(runs), [run.stderr for run in runs]
    assert not any("database is locked" in run.stderr for run in runs)
    assert {delivery["status"] for delivery in fake.fake.state.deliveries} == {200}
    assert (
        sorted(t["amount"] for t in fake.fake.state.transfers.values())
        == [BALANCE_CENTS] * PARTICIPANTS
    )
    with sqlite3.connect(tmp_path / "v2g.sqlite3") as database:
        ready = database.execute(
            "SELECT COUNT(*) FROM payouts_payoutaccount WHERE payouts_enabled"
        ).fetchone()[0]
        paid = database.execute(
            "SELECT COUNT(*), SUM(amount_cents) FROM payouts_payout WHERE status = 'PAID'"
        ).fetchone()
        journal_mode = database.execute("PRAGMA journal_mode").fetchone()[0]
    assert (ready, tuple(paid), journal_mode) == (
        PARTICIPANTS,
        (PARTICIPANTS, PARTICIPANTS * BALANCE_CENTS),
        "wal",
    )
