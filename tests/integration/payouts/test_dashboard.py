"""The owner's dashboard: earnings, pending, the next payout and data freshness, by hand.

Given (America/Los_Angeles, USD; now Mon 7 Dec 2026, 12:00 PST):
- October 2026, released and paid by a PAID payout: 30.00.
- November 2026, released, unpaid: 40 kWh x $0.30 = 12.00 + 160 kWh x $0.05 = 8.00 = 20.00
  (200 kWh for 20.00: $0.10 per kWh on average).
- September 2026 correction, approved, not released: -2.50.
- August 2026, still a draft: 99.00 (an owner never sees it).
- December (open): 12.5 kWh exported on 2 Dec, nothing since.
Then: this month 0.00; last month 20.00; since enrolling 30.00 + 20.00 - 2.50 = 47.50;
pending (approved or released, not paid) 20.00 - 2.50 = 17.50; the open period's estimate
12.5 kWh x $0.10 = 1.25; the next payout 20.00 less the 2.50 owed back = 17.50.
"""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Channel
from settlement.payouts import dashboard
from settlement.payouts.models import ProgramPayoutSettings
from tests.event_fixtures import add_hours, local_hour
from tests.factories import (
    ChannelFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProgramFactory,
    SiteFactory,
    UserFactory,
)
from tests.portal_fixtures import paid_by_payout, statement

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)
LA = "America/Los_Angeles"


@pytest.fixture
def owner():
    program = ProgramFactory(code="nbt", name="Export Credits", timezone=LA, currency="USD")
    participant = ParticipantFactory(name="Ana Lopez")
    user = UserFactory(email="ana@example.com")
    MembershipFactory(user=user, participant=participant)
    site = SiteFactory(participant=participant, timezone=LA)
    export = ChannelFactory(site=site, meter_id="RM-1", kind=Channel.Kind.SITE_EXPORT)
    import_ = ChannelFactory(site=site, meter_id="RM-1", kind=Channel.Kind.SITE_IMPORT)
    EnrollmentFactory(
        participant=participant, site=site, program=program, starts_on=dt.date(2026, 1, 1)
    )
    october = statement(
        participant=participant,
        program=program,
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 11, 1),
        state="RELEASED",
        lines=[("EXPORT_ENERGY", "Peak", "0.30000", "100.000", "30.00")],
    )
    paid_by_payout(statements=[october], program=program)
    statement(
        participant=participant,
        program=program,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 12, 1),
        state="RELEASED",
        lines=[
            ("EXPORT_ENERGY", "Peak", "0.30000", "40.000", "12.00"),
            ("EXPORT_ENERGY", "Off-peak", "0.05000", "160.000", "8.00"),
        ],
    )
    statement(
        participant=participant,
        program=program,
        start=dt.date(2026, 9, 1),
        end=dt.date(2026, 10, 1),
        state="APPROVED",
        run_type="RECALCULATION",
        lines=[("ADJUSTMENT", "Corrected meter data", None, "-25.000", "-2.50")],
    )
    statement(
        participant=participant,
        program=program,
        start=dt.date(2026, 8, 1),
        end=dt.date(2026, 9, 1),
        state="DRAFT",
        lines=[("EXPORT_ENERGY", "Peak", "0.30000", "330.000", "99.00")],
    )
    # 12.5 kWh on 2 Dec (local), the export channel's last reading ends 2 Dec 18:00 PST.
    add_hours(
        export,
        [
            (local_hour(dt.date(2026, 12, 2), 16), 10_000),
            (local_hour(dt.date(2026, 12, 2), 17), 2_500),
        ],
    )
    # The import channel read this morning.
    add_hours(import_, [(local_hour(dt.date(2026, 12, 7), 9), 300)])
    return program, participant, user


def test_the_dashboard_adds_up_the_statements_an_owner_may_see(owner):
    _, participant, user = owner

    board = dashboard.dashboard_of(participant=participant, user=user, now=NOW)

    assert board.currency == "USD" and board.zone == LA
    assert board.earnings.this_month == Decimal("0.00")
    assert board.earnings.last_month == Decimal("20.00")
    assert board.earnings.since_enrolling == Decimal("47.50")
    assert board.earnings.approved_unpaid == Decimal("17.50")
    assert board.earnings.open_period_kwh == Decimal("12.5")
    assert board.earnings.average_price == Decimal("0.1")
    assert board.earnings.estimated_open_period == Decimal("1.25")
    assert board.next_payout.blocker == "OK"
    assert board.next_payout.amount == Decimal("17.50")


def test_the_chart_prices_each_day_at_its_period_and_the_open_days_by_estimate(owner):
    _, participant, user = owner

    board = dashboard.dashboard_of(participant=participant, user=user, now=NOW)

    assert len(board.chart) == 60
    assert board.chart[0].day == dt.date(2026, 10, 9)
    assert board.chart[-1].day == dt.date(2026, 12, 7)
    second = next(day for day in board.chart if day.day == dt.date(2026, 12, 2))
    assert (second.kwh, second.earnings, second.estimated) == (
        Decimal("12.5"),
        Decimal("1.25"),
        True,
    )
    assert sum(day.kwh for day in board.chart) == Decimal("12.5")


def test_a_channel_silent_for_two_days_is_flagged_and_a_fresh_one_is_not(owner):
    _, participant, user = owner

    board = dashboard.dashboard_of(participant=participant, user=user, now=NOW)

    by_kind = {channel.kind_label: channel for channel in board.freshness}
    export = by_kind["Site export (revenue meter)"]
    assert export.latest_end == local_hour(dt.date(2026, 12, 2), 18)
    assert export.silent is True
    assert by_kind["Site import (revenue meter)"].silent is False


def test_a_stripe_program_without_a_payout_account_names_that_as_the_blocker(owner):
    program, participant, user = owner
    ProgramPayoutSettings.objects.create(program=program, method="STRIPE_CONNECT")

    board = dashboard.dashboard_of(participant=participant, user=user, now=NOW)

    assert board.next_payout.blocker == "NO_PAYOUT_ACCOUNT"
    assert board.next_payout.amount == Decimal("17.50")
    assert "Connect a payout account under Payouts so we can pay you." in board.next_steps


def test_a_balance_below_the_minimum_rolls_over(owner):
    program, participant, user = owner
    ProgramPayoutSettings.objects.create(program=program, method="MANUAL", minimum_cents=5000)

    board = dashboard.dashboard_of(participant=participant, user=user, now=NOW)

    assert board.next_payout.blocker == "BELOW_MINIMUM"
    assert "$50.00" in board.next_payout.sentence


def test_an_owner_without_enrollment_or_data_is_told_what_to_do():
    participant = ParticipantFactory(name="Ben")
    user = UserFactory(email="ben@example.com")
    MembershipFactory(user=user, participant=participant)

    board = dashboard.dashboard_of(participant=participant, user=user, now=NOW)

    assert board.earnings.since_enrolling == Decimal("0.00")
    assert board.next_payout.blocker == "NOTHING_DUE"
    assert len(board.next_steps) == 2
    assert board.next_steps[0].startswith("You are not enrolled in a program yet")
