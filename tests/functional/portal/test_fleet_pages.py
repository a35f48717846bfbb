"""Fleets: a manager sees each vehicle and manages members; a viewer sees and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import Channel, Charger, Membership
from settlement.payouts import fleet_breakdown
from settlement.statements.models import StatementLine
from tests.event_fixtures import add_hours, local_hour
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    MembershipFactory,
    ParticipantFactory,
    ProgramFactory,
    SiteFactory,
    UserFactory,
)
from tests.portal_fixtures import statement

pytestmark = pytest.mark.django_db(transaction=True)

JULY = dt.date(2025, 7, 1)


@pytest.fixture
def district():
    """A school district with two buses: BUS-7 exports 3 kWh in July, BUS-9 nothing."""
    participant = ParticipantFactory(name="Valley School District", kind="ORGANIZATION")
    manager = UserFactory(email="fleet@district.example.org")
    MembershipFactory(user=manager, participant=participant, role=Membership.Role.MANAGER)
    site = SiteFactory(participant=participant, timezone="America/Los_Angeles")
    for name in ("BUS-7", "BUS-9"):
        charger = ChargerFactory(site=site, external_id=name, max_discharge_kw=Decimal(60))
        export = ChannelFactory(
            site=site, meter_id=f"SM-{name}", kind="EVSE_EXPORT", charger=charger
        )
        if name == "BUS-7":
            add_hours(export, [(local_hour(JULY, 17), 1000), (local_hour(JULY, 18), 2000)])
    return participant, manager


def test_a_manager_sees_one_row_per_vehicle_for_the_period(client, district):
    participant, manager = district
    client.force_login(manager)

    page = client.get(
        f"/fleet/{participant.pk}/", {"start": "2025-07-01", "end": "2025-08-01"}
    ).content.decode()

    assert '<td data-label="Vehicle"><strong>BUS-7</strong></td>' in page
    assert page.index("BUS-7") < page.index("BUS-9")
    assert '<td data-label="Exported">3.0 kWh</td>' in page
    assert '<td data-label="Exported">0.0 kWh</td>' in page


def test_a_manager_invites_a_viewer_who_gets_the_invitation_link(client, district):
    participant, manager = district
    client.force_login(manager)

    client.post(
        f"/fleet/{participant.pk}/invite/",
        {"email": "Board@District.example.org", "role": "VIEWER"},
    )

    membership = Membership.objects.get(
        participant=participant, user__email="board@district.example.org"
    )
    assert membership.role == "VIEWER"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["board@district.example.org"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_last_manager_can_be_neither_removed_nor_made_a_viewer(client, district):
    participant, manager = district
    client.force_login(manager)
    mine = Membership.objects.get(user=manager)

    removed = client.post(f"/fleet/{participant.pk}/members/{mine.pk}/remove/", follow=True)
    demoted = client.post(
        f"/fleet/{participant.pk}/members/{mine.pk}/role/", {"role": "VIEWER"}, follow=True
    )

    assert "The last manager cannot be removed" in removed.content.decode()
    assert "The last manager cannot become a viewer" in demoted.content.decode()
    assert Membership.objects.get(pk=mine.pk).role == "MANAGER"


def test_a_viewer_sees_everything_and_changes_nothing(client, district):
    participant, manager = district
    viewer = UserFactory(email="board@district.example.org")
    MembershipFactory(user=viewer, participant=participant, role=Membership.Role.VIEWER)
    client.force_login(viewer)
    managing = Membership.objects.get(user=manager)

    page = client.get(f"/fleet/{participant.pk}/").content.decode()
    removal = client.post(f"/fleet/{participant.pk}/members/{managing.pk}/remove/")
    invited = client.post(
        f"/fleet/{participant.pk}/invite/", {"email": "x@example.org", "role": "MANAGER"}
    )

    assert "BUS-7" in page and "fleet@district.example.org" in page
    assert "Send invitation" not in page and "Remove" not in page
    assert removal.status_code == 403
    assert invited.status_code == 403
    assert Membership.objects.filter(participant=participant).count() == 2


def test_someone_outside_the_fleet_gets_404(client, district):
    participant, _ = district
    client.force_login(UserFactory(email="stranger@example.com"))

    assert client.get(f"/fleet/{participant.pk}/").status_code == 404


def test_each_vehicle_earns_what_the_statement_lines_name_its_channel_for(client, district):
    participant, manager = district
    program = ProgramFactory(code="fleet-export", timezone="America/Los_Angeles", currency="USD")
    Charger.objects.filter(external_id="BUS-7").update(name="Bus 7, route 12")
    bus7 = Channel.objects.get(meter_id="SM-BUS-7").pk
    bus9 = Channel.objects.get(meter_id="SM-BUS-9").pk
    made = statement(
        participant=participant,
        program=program,
        start=JULY,
        end=dt.date(2025, 8, 1),
        state="RELEASED",
        lines=[],
    )
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=made,
            number=number,
            kind=kind,
            label=kind,
            kwh=0,
            amount=amount,
            lineage=lineage,
        )
        for number, (kind, amount, lineage) in enumerate(
            [
                ("EXPORT_ENERGY", Decimal("10.00"), [[bus7, 1751414400, 3600, 2, 1]]),
                # One reading of each bus: 3.01 splits 1.50 and 1.51 (the odd cent to the
                # first charger of the tie), never 3.02.
                (
                    "EVENT_INCREMENTAL",
                    Decimal("3.01"),
                    [[bus7, 1751418000, 3600, 1, 1], [bus9, 1751418000, 3600, 1, 1]],
                ),
                ("FIXED", Decimal("5.00"), []),
            ],
            start=1,
        )
    )
    client.force_login(manager)

    page = client.get(
        f"/fleet/{participant.pk}/", {"start": "2025-07-01", "end": "2025-08-01"}
    ).content.decode()

    assert '<span class="muted">Bus 7, route 12</span>' in page
    bus7_row = page[page.index('data-charger="BUS-7"') : page.index('data-charger="BUS-9"')]
    bus9_row = page[page.index('data-charger="BUS-9"') : page.index("</tbody>")]
    assert '<td data-label="Earnings" class="amount">$11.50</td>' in bus7_row
    assert '<td data-label="Earnings" class="amount">$1.51</td>' in bus9_row
    assert '<td class="amount">$5.00</td>' in page
    assert '<td class="amount" id="fleet-total">$18.01</td>' in page


def test_a_split_keeps_every_cent_of_the_line():
    shares = fleet_breakdown.split(amount=Decimal("0.10"), weights={1: 1, 2: 1, 3: 1})

    assert shares == {1: Decimal("0.04"), 2: Decimal("0.03"), 3: Decimal("0.03")}
