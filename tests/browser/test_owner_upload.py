"""In Chromium: an owner sends a meter file from My energy, watches it go and sees it read."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.browser.conftest import sign_in
from tests.metering_fixtures import canonical
from tests.portal_fixtures import owner_with_statements

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_in_process"),
]


def test_an_owner_uploads_a_meter_file_and_sees_it_processed(
    live_server, browser, tmp_path, screenshot
):
    today = timezone.now().astimezone(ZoneInfo("America/Los_Angeles")).date()
    owner = owner_with_statements(email="ana@example.com", today=today)
    meter = f"RM-{owner.participant.pk}"
    # Two quarter-hours of export a year back: 2,500 Wh and 2,600 Wh, new readings.
    day = (today - dt.timedelta(days=365)).isoformat()
    data = tmp_path / "my-meter.csv"
    data.write_bytes(
        canonical(
            f"{meter},{day}T17:00:00Z,{day}T17:15:00Z,2500,,",
            f"{meter},{day}T17:15:00Z,{day}T17:30:00Z,2600,,",
        )
    )
    page = sign_in(browser, live_server, "ana@example.com")
    page.goto(f"{live_server.url}/energy/")
    sent: list[str] = []
    page.on(
        "request",
        lambda request: sent.append(request.resource_type) if request.method == "POST" else None,
    )

    page.set_input_files("#id_file", str(data))
    page.click("button:has-text('Upload')")

    page.wait_for_selector("#upload-result")
    result = page.inner_text("#upload-result")
    assert "my-meter.csv: Processed." in result
    assert "2 readings stored, 0 revised, 0 rejected." in result
    # Sent once, by the page's script that shows its progress (not by a plain form post).
    assert sent == ["xhr"]
    screenshot(page, "owner-upload-processed")
