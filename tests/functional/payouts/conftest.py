"""Participants with balances and payout accounts, for the payout tests."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Participant, Program
from settlement.payouts import onboarding
from settlement.payouts.models import PayoutAccount, PayoutMethod, ProgramPayoutSettings
from tests import released_statements
from tests.factories import EnrollmentFactory, MembershipFactory, ProgramFactory, UserFactory
from tests.fakes.fixtures import FakeStripeControl, fake_stripe  # noqa: F401 - a fixture

# Tasks read the real clock (they are interfaces), so the tests run at the real time too.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def payout_tasks_in_process(tasks_in_process: None) -> None:
    """Run the payout tasks in this process, where this test's fake Stripe server is known.

    With a broker configured (CI), the suite's shared worker would take them without the
    fake's address; the worker path has its own chaos test, which routes to its own worker.
    """


@pytest.fixture
def program(db: None) -> Program:
    return ProgramFactory(code="nbt-export", currency="USD")


def give_balance(participant: Participant, program: Program, cents: int, ref: str) -> None:
    """Release `cents` to the participant: a released statement, booked as approval books it.

    The same ref is the same statement, booked once. Released, so that what the payouts
    send stays within what was released (the invariant `check_ledger` checks).
    """
    released_statements.statement(participant, program, cents, ref, now=NOW)


@pytest.fixture
def enrolled(program: Program) -> Callable[..., Participant]:
    def make(email: str, *, cents: int = 0) -> Participant:
        user = UserFactory(email=email)
        membership = MembershipFactory(user=user, participant__email=email)
        EnrollmentFactory(
            participant=membership.participant,
            site__participant=membership.participant,
            program=program,
        )
        if cents:
            give_balance(membership.participant, program, cents, f"{email}-1")
        return membership.participant

    return make


@pytest.fixture
def connected(
    fake_stripe: FakeStripeControl,  # noqa: F811 - the fixture imported above
    enrolled: Callable[..., Participant],
) -> Callable[..., Participant]:
    """A participant whose connected account finished onboarding at the fake."""

    def make(email: str, *, cents: int = 0) -> Participant:
        participant = enrolled(email, cents=cents)
        onboarding.start_onboarding(
            participant=participant,
            refresh_url="http://testserver/payouts/refresh",
            return_url="http://testserver/payouts/return",
            now=NOW,
        )
        account = PayoutAccount.objects.get(participant=participant)
        fake_stripe.complete_account(account.stripe_account_id)
        onboarding.refresh_account(participant=participant, now=NOW)
        return participant

    return make


def set_method(program: Program, method: str, *, minimum_cents: int = 0) -> Any:
    return ProgramPayoutSettings.objects.update_or_create(
        program=program, defaults={"method": method, "minimum_cents": minimum_cents}
    )[0]


STRIPE = PayoutMethod.STRIPE_CONNECT
