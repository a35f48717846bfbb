"""In Chromium: an owner sets a standing rule, an event arrives and is accepted for them, they
lower the committed kW, then decline with confirmation; the new pages are clean at 390 and
1280 px (no CSP violation, no sideways scroll, nothing serious for axe-core)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from settlement.events.models import Offer
from tests.browser.conftest import sign_in
from tests.browser.page_checks import CSP_LISTENER, problems_of_url
from tests.event_fixtures import Owner, dispatch, offer_rules, program_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LA = ZoneInfo("America/Los_Angeles")


def noon_in_two_days() -> dt.datetime:
    day = timezone.now().astimezone(LA).date() + dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(12), tzinfo=LA)


def test_a_standing_rule_answers_then_the_owner_changes_and_declines(
    live_server, browser, screenshot
):
    program = program_with(offer_rules(), code="v2g-offers")
    owner = Owner(program, email="ana@example.com", max_kw=Decimal("11.5"))
    page = sign_in(browser, live_server, "ana@example.com")
    page.wait_for_selector("h1")
    page.add_init_script(CSP_LISTENER)

    page.goto(f"{live_server.url}/answers/")
    form = page.locator("form.rule-form")
    form.locator("input[name=name]").fill("noon over $1")
    form.locator("input[name=min_price_per_kwh]").fill("1.00")
    form.locator("input[name=max_kw]").fill("7")
    form.locator("input[name=weekdays][value='6']").check()
    form.locator("input[name=weekdays][value='7']").check()
    form.locator("select[name=start_hour]").select_option("10")
    form.locator("select[name=end_hour]").select_option("16")
    form.locator("input[name=reserve_percent]").fill("20")
    battery = page.locator(".battery form")
    screenshot(page, "standing-answers-form")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Rule 'noon over $1' saved")
    page.locator(".battery input[name=usable_kwh]").fill("40")
    page.locator(".battery input[name=wear_cost_per_kwh]").fill("0.10")
    battery.locator("button[type=submit]").click()
    page.wait_for_selector("text=Battery of")
    screenshot(page, "standing-answers-saved")

    # A new event, through the events operation, as the staff page or OpenADR would.
    start = noon_in_two_days()
    dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    page.goto(f"{live_server.url}/offers/")
    card = page.locator(".card.upcoming")
    assert "Accepted for you by your rule 'noon over $1' (version 1)." in card.inner_text()
    assert "Accepted (7 kW)" in card.inner_text()
    # 7 kW x 2 h x $2.00 = $28.00; wear min(14, 40 x 80% = 32) = 14 kWh x $0.10 = $1.40;
    # net $26.60.
    assert card.locator(".ceiling").inner_text() == "$28.00"
    assert card.locator(".wear").inner_text() == "$1.40"
    assert card.locator(".net").inner_text() == "$26.60"
    screenshot(page, "offers-accepted-by-rule")

    card.locator("input[name=committed_kw]").fill("5")
    card.locator("text=Change commitment").click()
    page.wait_for_selector("text=Changed: you now commit 5 kW to this event.")
    # 5 x 2 x $2.00 = $20.00; wear 10 kWh x $0.10 = $1.00; net $19.00.
    assert page.locator(".card.upcoming .net").inner_text() == "$19.00"

    page.locator(".card.upcoming").locator("text=Decline…").click()
    page.wait_for_selector("h1:has-text('Decline this offer?')")
    offer = Offer.objects.get()
    screenshot(page, "offer-decline-confirm")
    assert Offer.objects.get().status == "ACCEPTED"
    page.click("text=Yes, decline")
    page.wait_for_selector("text=Declined. You will not be paid for this event.")
    assert page.locator(".card.upcoming").count() == 0
    assert page.locator(".card.declined").count() == 1
    screenshot(page, "offers-declined")

    offer.refresh_from_db()
    assert offer.status == "DECLINED"
    assert list(offer.responses.order_by("pk").values_list("change", flat=True)) == [
        "first answer",
        "7 kW -> 5 kW",
        "accept -> decline",
    ]
    page.goto(f"{live_server.url}/offers/{offer.pk}/answers/")
    screenshot(page, "offer-answers")

    rule_id = owner.participant.standing_rules.get().pk
    problems = []
    for name, path in {
        "standing-answers": "/answers/",
        "standing-answer": f"/answers/{rule_id}/",
        "offers-issue-21": "/offers/",
        "offer-decline": f"/offers/{offer.pk}/decline/",
        "offer-answers": f"/offers/{offer.pk}/answers/",
    }.items():
        problems += problems_of_url(page, f"{live_server.url}{path}", name)
    assert problems == []
