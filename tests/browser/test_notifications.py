"""In Chromium: an owner's results arrive the day after, the menu counts the notification,
the notifications page lists it and opens the offer, and the offer's .ics downloads with the
event's local times. Screenshots at 1280 and 390 px; no sideways scroll, axe-clean."""

from pathlib import Path

import icalendar
import pytest

from tests.browser.conftest import sign_in
from tests.browser.page_checks import problems_at_both_widths
from tests.event_fixtures import LOS_ANGELES
from tests.notice_fixtures import accepted_event_yesterday, evening_file, ingest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_reads_the_results_notification_and_downloads_the_calendar_entry(
    live_server, browser, screenshot, tasks_in_process
):
    accepted = accepted_event_yesterday(email="ana@example.com")
    # Committed at once (this test runs outside a transaction): measured and told now.
    ingest(evening_file(accepted))
    page = sign_in(browser, live_server, "ana@example.com")
    page.wait_for_selector("h1")

    assert page.text_content("nav .notifications-link .count") == "1 unread"
    page.click("nav .notifications-link")
    page.wait_for_selector("h1:has-text('Notifications')")
    item = page.locator(".notification.unread")
    assert item.count() == 1
    assert "Results of your Program elrp event" in item.inner_text()
    assert page.inner_text("#unread-summary") == "1 unread"
    problems = problems_at_both_widths(page, "notifications")
    screenshot(page, "owner-notifications")

    item.locator("button").click()
    page.wait_for_selector(f"#offer-{accepted.offer.pk}")
    assert page.url.endswith(f"/offers/#offer-{accepted.offer.pk}")
    assert page.locator("nav .notifications-link .count").count() == 0
    # 3,600 + 3,500 Wh = 7.1 kWh x $2.00/kWh = $14.20.
    assert (
        page.inner_text(f"[data-event-result='{accepted.offer.pk}']")
        == "Delivered 7.1 kWh, estimated $14.20, to be confirmed in your statement"
    )
    problems += problems_at_both_widths(page, "offers")
    screenshot(page, "owner-offer-results")

    with page.expect_download() as download:
        page.click("text=Add to calendar (.ics)")
    content = Path(download.value.path()).read_bytes()
    (entry,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    starts = accepted.start.astimezone(LOS_ANGELES)
    assert entry.decoded("DTSTART") == starts
    assert (entry.decoded("DTSTART").hour, entry.decoded("DTEND").hour) == (17, 19)
    assert str(entry["DTSTART"].params["TZID"]) == "America/Los_Angeles"
    assert download.value.suggested_filename == (
        f"event-{accepted.event.pk}-offer-{accepted.offer.pk}.ics"
    )
    assert problems == []
