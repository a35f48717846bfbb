"""Participants with balances and payout accounts, for the payout tests."""

import datetime as dt
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Participant, Program
from settlement.ledger import booking
from settlement.payouts import onboarding
from settlement.payouts.models import PayoutAccount, PayoutMethod, ProgramPayoutSettings
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
    """Book money owed to the participant through the booking an approved statement makes.

    No statement row stands behind it: these tests are about payouts, and a released
    statement would be linked to the payout. The statement id is derived from `ref`, so the
    same ref books once, as the same statement would.
    """
    booking.book_statement_approval(
        statement_id=zlib.crc32(ref.encode()),
        run_id=0,
        period_start=NOW.date(),
        program=program,
        participant=participant,
        currency=program.currency,
        cents=cents,
        now=NOW,
    )


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
