"""A fleet manager sees each vehicle and invites a viewer, who signs in and can change nothing."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership
from settlement.events.models import Offer
from tests.browser.conftest import sign_in
from tests.event_fixtures import add_hours, dispatch, local_hour, offer_rules, program_with
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the issue asks for the screenshots


def _shoot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture
def district(settings, live_server):
    """A district with BUS-7 ("Route 12") exporting 3 kWh today and an open offer."""
    settings.SITE_URL = live_server.url
    participant = ParticipantFactory(name="Valley School District", kind="ORGANIZATION")
    manager = UserFactory(email="fleet@district.example.org")
    MembershipFactory(user=manager, participant=participant, role=Membership.Role.MANAGER)
    site = SiteFactory(participant=participant, timezone="America/Los_Angeles")
    program = program_with(offer_rules(), code="elrp")
    EnrollmentFactory(
        participant=participant, site=site, program=program, starts_on=dt.date(2020, 1, 1)
    )
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=-8))).date()
    for external_id, name in (("BUS-7", "Route 12"), ("BUS-9", "")):
        charger = ChargerFactory(
            site=site, external_id=external_id, name=name, max_discharge_kw=Decimal(60)
        )
        export = ChannelFactory(
            site=site, meter_id=f"SM-{external_id}", kind="EVSE_EXPORT", charger=charger
        )
        if external_id == "BUS-7":
            add_hours(export, [(local_hour(today, 0), 1000), (local_hour(today, 1), 2000)])
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    dispatch(program, starts, starts + dt.timedelta(hours=2), now=timezone.now())
    return participant


def test_a_manager_invites_a_viewer_who_signs_in_and_cannot_accept_an_offer(
    live_server, browser, district
):
    manager = sign_in(browser, live_server, "fleet@district.example.org")
    manager.goto(f"{live_server.url}/fleet/{district.pk}/")

    bus7 = manager.locator("tr[data-charger='BUS-7']")
    assert "Route 12" in bus7.inner_text()
    assert "3.0 kWh" in bus7.inner_text()
    assert manager.locator("tr[data-charger='BUS-9']").count() == 1
    _shoot(manager, "fleet-manager")

    manager.fill("#id_email", "viewer@district.example.org")
    manager.select_option("#id_role", "VIEWER")
    manager.click("text=Send invitation")
    manager.wait_for_selector("text=Invited viewer@district.example.org.")
    (invitation,) = mail.outbox
    link = re.search(rf"{re.escape(live_server.url)}/accounts/reset/\S+", str(invitation.body))
    assert link is not None

    viewer = browser.new_context().new_page()
    viewer.goto(link.group(0))
    viewer.fill("#id_new_password1", "a-viewer-long-passphrase")
    viewer.fill("#id_new_password2", "a-viewer-long-passphrase")
    viewer.click("button[type=submit]")
    viewer.wait_for_url(f"{live_server.url}/")
    viewer.goto(f"{live_server.url}/offers/")
    offer = Offer.objects.get(participant=district)
    assert viewer.locator("form[action$='/accept/']").count() == 0
    _shoot(viewer, "offers-viewer")

    token = next(c["value"] for c in viewer.context.cookies() if c["name"] == "csrftoken")
    refused = viewer.request.post(
        f"{live_server.url}/offers/{offer.pk}/accept/",
        form={"committed_kw": "10"},
        headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/offers/"},
        max_redirects=0,
    )

    assert refused.status == 403
    offer.refresh_from_db()
    assert (offer.status, offer.responded_at) == ("OPEN", None)
