"""In Chromium: an owner accepts an offer with a committed kW; an administrator dispatches."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts import operations as account_operations
from accounts import roles
from settlement.events.models import Delivery, DispatchEvent
from tests.event_fixtures import Owner, dispatch, incremental_rules, local_hour, program_with
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def tomorrow_at(hour: int) -> dt.datetime:
    day = timezone.now().astimezone(LOS_ANGELES).date() + dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOS_ANGELES)


def test_an_owner_sees_the_estimate_and_accepts_with_a_committed_kw(live_server, page, screenshot):
    program = program_with(incremental_rules())
    owner = Owner(program, email="ana@example.com", max_kw=Decimal("11.5"))
    past = dispatch(
        program, local_hour(dt.date(2025, 7, 8), 17), local_hour(dt.date(2025, 7, 8), 19)
    )
    Delivery.objects.create(
        offer=past.offers.get(),
        rule_set_id=program.rule_sets.get().pk,
        rule_kind="EVENT_INCREMENTAL",
        settleable=True,
        delivered_wh=Decimal(16000),
        incremental_wh=Decimal(15000),
        amount=Decimal("30.00"),
        readings_sha256="demo",
        computed_at=timezone.now(),
    )
    start = tomorrow_at(17)
    dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())

    sign_in(page, live_server, owner.user.email)
    page.goto(f"{live_server.url}/offers/")
    card = page.locator(".card.offer")
    # 16 kWh over 2 h = 8 kWh/h x 2 h x $2 = $32.00; ceiling 11.5 x 2 x 2 = $46.00.
    assert card.locator(".estimate").inner_text() == "$32.00"
    assert "$46.00" in card.inner_text()
    assert "left" in card.locator(".countdown").inner_text()
    screenshot(page, "owner-offers-open")

    page.fill("input[name=committed_kw]", "7.5")
    page.click("text=Accept")
    page.wait_for_selector("text=Accepted: you are confirmed for this event.")

    # Accepted and not over: in Upcoming, never in the history before the event ends.
    assert page.locator(".card.offer:not(.upcoming)").count() == 0
    assert "Accepted (7.5 kW)" in page.inner_text(".card.upcoming")
    screenshot(page, "owner-offers-accepted")


def test_a_program_administrator_creates_an_event_and_sees_its_offers(
    live_server, page, screenshot
):
    groups = account_operations.ensure_staff_roles()
    administrator = UserFactory(email="programs@utility.example.com", is_staff=True)
    administrator.groups.add(groups[roles.PROGRAM_ADMINISTRATOR])
    program = program_with(incremental_rules())
    Owner(program, email="ana@example.com")
    Owner(program, email="ben@example.com")
    start = tomorrow_at(17)

    sign_in(page, live_server, administrator.email)
    page.goto(f"{live_server.url}/staff/events/")
    page.select_option("#id_program", program.code)
    page.fill("#id_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_end", (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_deadline", (start - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_kind", "EMERGENCY")
    page.fill("#id_price", "2.00")
    screenshot(page, "staff-event-create")
    page.click("text=Create event and send offers")
    page.wait_for_selector(".offered")

    event = DispatchEvent.objects.get()
    assert event.starts_at == start.astimezone(dt.UTC)
    assert page.inner_text(".offered") == "2"
    results = page.inner_text("table.results")
    assert "ana@example.com" in results and "ben@example.com" in results
    assert "Waiting for an answer" in results
    screenshot(page, "staff-event-offers")
