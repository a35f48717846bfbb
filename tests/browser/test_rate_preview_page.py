"""The rate preview page offers the plans and meters and prices a week, in a real browser."""

import io

import pytest
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_pick_a_plan_and_meter_and_see_named_periods_with_kwh(
    live_server, page, client, screenshot
):
    call_command("seed_demo", stdout=io.StringIO())
    reviewer = UserFactory(email="rita@utility.example.com", is_staff=True)
    client.force_login(reviewer)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/staff/rate-preview/")
    page.select_option("#id_tariff", "pde-tou-export")
    page.fill("#id_meter", "RM-100001")
    page.fill("#id_start", "2025-07-14")
    page.fill("#id_end", "2025-07-21")
    page.click("main button[type=submit]")

    page.wait_for_selector("#lines")
    labels = page.locator("#lines tbody td:first-child").all_inner_texts()
    assert all(not label.startswith("Period") for label in labels), labels
    assert page.inner_text("#lines tfoot").split("\t") == ["Total", "299.600", "", "$19.92"]
    screenshot(page, "staff-rate-preview")
