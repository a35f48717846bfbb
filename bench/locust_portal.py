"""Locust users for `bench_portal.py`: signed-in owners cycling through the portal's pages.

Each simulated owner signs in once as its own participant's user (`owner{n}@bench.example`,
n taken in turn), then loops: dashboard, offers, statements, one statement's PDF, payouts.
"""

import itertools
import os
import re

import requests
from locust import HttpUser, between, task

PASSWORD = os.environ.get("BENCH_PORTAL_PASSWORD", "bench-password")
OWNERS = int(os.environ.get("BENCH_PORTAL_OWNERS", "1000"))
_numbers = itertools.count()
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_STATEMENT = re.compile(r'href="/statements/([0-9]+)/"')


class Owner(HttpUser):
    """One owner's browser: a session, and the statement whose PDF it downloads."""

    # A person reads a page before the next: about half a second between clicks.
    wait_time = between(0.25, 0.75)

    def on_start(self) -> None:
        """Sign in and find a statement of this owner's to download."""
        email = f"owner{next(_numbers) % OWNERS}@bench.example"
        # Signed in outside locust's client: a sign-in is one password hash (hundreds of
        # milliseconds by design), not a page, and it would swamp the pages' percentiles.
        browser = requests.Session()
        page = browser.get(f"{self.host}/accounts/login/", timeout=120)
        token = _CSRF.search(page.text)
        browser.post(
            f"{self.host}/accounts/login/",
            data={
                "username": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            timeout=120,
        ).raise_for_status()
        self.client.cookies.update(browser.cookies)
        listing = self.client.get("/statements/", name="statements")
        found = _STATEMENT.search(listing.text)
        self.statement = found.group(1) if found else None

    @task
    def cycle(self) -> None:
        """Visit the five pages an owner checks, in the order a person would."""
        self.client.get("/", name="dashboard")
        self.client.get("/offers/", name="offers")
        self.client.get("/statements/", name="statements")
        if self.statement is not None:
            self.client.get(f"/statements/{self.statement}/download.pdf", name="statement pdf")
        self.client.get("/payouts/", name="payouts")
