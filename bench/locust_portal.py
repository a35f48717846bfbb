"""Locust users for `bench_portal.py`: signed-in owners reading the portal's pages.

Each simulated owner signs in once as its own participant's user (`owner{n}@bench.example`,
n taken in turn) and finds a statement of its own to download. Then it visits, in the order
a person would, the dashboard, offers, statements, one statement's PDF and payouts, and
reads each page before the next click: BENCH_PORTAL_THINK seconds, "min,max" (default "2,8",
5 s on average, drawn uniformly). Five seconds is a person glancing at a page they know (an
amount, a date, whether an offer is open), not studying it. "0,0" is no reading time at
all: the owners click as fast as the site answers, which measures its capacity.

No sign-in is in the figures: the owners wait until the last has signed in (a password
hash each, hundreds of milliseconds by design), make their first clicks spread over one
longest reading time (people do not all click in the same instant), and only then do the
figures start, from zero; the run ends BENCH_PORTAL_SECONDS (60) later.

geventhttpclient (FastHttpUser), not requests: locust shares the 2 cores with the site, and
this client costs it a fraction of the CPU per request.
"""

import itertools
import os
import random
import re
from typing import ClassVar
from urllib.parse import urlencode

import gevent.event
from locust import FastHttpUser, SequentialTaskSet, between, task

PASSWORD = os.environ.get("BENCH_PORTAL_PASSWORD", "bench-password")
OWNERS = int(os.environ.get("BENCH_PORTAL_OWNERS", "1000"))
USERS = int(os.environ.get("BENCH_PORTAL_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_PORTAL_SECONDS", "60"))
THINK_MIN, THINK_MAX = (
    float(seconds) for seconds in os.environ.get("BENCH_PORTAL_THINK", "2,8").split(",")
)
SIGN_IN_SECONDS = 300
_numbers = itertools.count()
_signed_in = itertools.count(1)
_all_signed_in = gevent.event.Event()
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_STATEMENT = re.compile(r'href="/statements/([0-9]+)/"')


class Visit(SequentialTaskSet):
    """The five pages in a person's order; the owner's reading time comes after each."""

    @task
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task
    def offers(self) -> None:
        self.client.get("/offers/", name="offers")

    @task
    def statements(self) -> None:
        self.client.get("/statements/", name="statements")

    @task
    def statement_pdf(self) -> None:
        self.client.get(f"/statements/{self.user.statement}/download.pdf", name="statement pdf")

    @task
    def payouts(self) -> None:
        self.client.get("/payouts/", name="payouts")


class Owner(FastHttpUser):
    """One owner's browser: a session, and the statement whose PDF it downloads."""

    wait_time = between(THINK_MIN, THINK_MAX)
    tasks: ClassVar[list[type[SequentialTaskSet]]] = [Visit]

    def on_start(self) -> None:
        """Sign in, find a statement to download, and wait until every owner has signed in."""
        email = f"owner{next(_numbers) % OWNERS}@bench.example"
        page = self.client.get("/accounts/login/", name="sign-in")
        token = _CSRF.search(page.text or "")
        self.client.post(
            "/accounts/login/",
            data=urlencode(
                {
                    "username": email,
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                }
            ),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{self.host}/accounts/login/",
            },
            name="sign-in",
        ).raise_for_status()
        listing = self.client.get("/statements/", name="sign-in")
        found = _STATEMENT.search(listing.text or "")
        if found is None:
            raise RuntimeError(f"{email} signed in but lists no statement")
        self.statement = found.group(1)
        if next(_signed_in) == USERS:
            # The last owner in: once every owner has made a first click, the figures start
            # from zero (what came before is sign-ins), and the run ends SECONDS later.
            self.environment.stats.reset_all()
            gevent.spawn_later(THINK_MAX, self.environment.stats.reset_all)
            runner = self.environment.runner
            if runner is not None:
                gevent.spawn_later(THINK_MAX + SECONDS, runner.quit)
            _all_signed_in.set()
        if not _all_signed_in.wait(timeout=SIGN_IN_SECONDS):
            raise RuntimeError(f"not every owner signed in within {SIGN_IN_SECONDS} s")
        # People do not all open the dashboard in the same instant: each first click comes
        # within one reading time of the last sign-in, not 50 at once.
        gevent.sleep(random.uniform(0, THINK_MAX))
