"""Every portal page costs the same number of queries for a small and a large account.

One owner (with a charger fleet, members, offers, statements, payouts and readings) is
built at two sizes; each page is fetched once per size under a query counter. A page that
queries per row (per statement, line, charger, member, offer or payout) shows as a
difference between the two counts.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from settlement.payouts.models import Payout, PayoutMethod
from tests.event_fixtures import add_hours, dispatch, local_hour, offer_rules, program_with
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    EnrollmentFactory,
    MembershipFactory,
    UserFactory,
)
from tests.portal_fixtures import AT, owner_with_statements, statement

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class Account:
    """What a page is fetched for: the signed-in user and the ids its URLs name."""

    user_id: int
    participant_id: int
    statement_id: int


def _today() -> dt.date:
    return timezone.now().astimezone(LA).date()


def _account(*, size: int, email: str) -> Account:
    """Return an owner whose every kind of row grows with `size` (size 1 and 6 are used)."""
    today = _today()
    history = owner_with_statements(email=email, today=today, older_months=size)
    participant = history.participant
    site = participant.sites.get()
    offers_program = program_with(offer_rules(), code=f"elrp{size}")
    EnrollmentFactory(
        participant=participant, site=site, program=offers_program, starts_on=dt.date(2020, 1, 1)
    )
    for number in range(size):
        charger = ChargerFactory(site=site, external_id=f"BUS-{size}-{number}")
        channel = ChannelFactory(
            site=site, meter_id=f"SM-{size}-{number}", kind="EVSE_EXPORT", charger=charger
        )
        add_hours(channel, [(local_hour(today - dt.timedelta(days=2), 12), 300)])
        MembershipFactory(
            user=UserFactory(email=f"viewer{number}@{email.partition('@')[0]}.example"),
            participant=participant,
            role=Membership.Role.VIEWER,
        )
        Payout.objects.create(
            participant=participant,
            program=history.program,
            method=PayoutMethod.MANUAL,
            amount_cents=100 + number,
            currency="USD",
            status=Payout.Status.PAID,
            created_at=AT,
            paid_at=AT,
            updated_at=AT,
        )
        starts = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(
            days=number + 2
        )
        dispatch(offers_program, starts, starts + dt.timedelta(hours=2), now=timezone.now())
    detailed = statement(
        participant=participant,
        program=history.program,
        start=dt.date(2019, 1, 1),
        end=dt.date(2019, 2, 1),
        state="RELEASED",
        lines=[
            ("EXPORT_ENERGY", f"Hour {number}", "0.10000", "10.000", "1.00")
            for number in range(size * 3)
        ],
    )
    return Account(user_id=history.user.pk, participant_id=participant.pk, statement_id=detailed.pk)


PAGES = {
    "dashboard": "/",
    "statements": "/statements/",
    "statement": "/statements/{statement}/",
    "statement-pdf": "/statements/{statement}/download.pdf",
    "statement-csv": "/statements/{statement}/download.csv",
    "energy": "/energy/",
    "fleet": "/fleet/{participant}/",
    "offers": "/offers/",
    "payouts": "/payouts/",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_the_page_costs_the_same_queries_at_two_sizes(client, django_user_model, page):
    accounts = [
        _account(size=1, email="small@example.com"),
        _account(size=6, email="large@example.com"),
    ]
    counts = []
    for account in accounts:
        client.force_login(django_user_model.objects.get(pk=account.user_id))
        url = PAGES[page].format(statement=account.statement_id, participant=account.participant_id)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1], [q["sql"] for q in queries.captured_queries]
