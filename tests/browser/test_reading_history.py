"""Staff follow an upload's revised readings to a reading's history in a real browser."""

import pytest

from tests.factories import UserFactory
from tests.metering_fixtures import canonical

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START, END = "2025-07-01T17:00:00-07:00", "2025-07-01T17:15:00-07:00"


@pytest.mark.usefixtures("site")
def test_staff_open_a_revised_reading_from_its_upload(
    live_server, page, run_ingest, client, screenshot
):
    run_ingest(canonical(f"SITE-7,{START},{END},2500,,ACTUAL"), name="first.csv")
    _, correction = run_ingest(canonical(f"SITE-7,{START},{END},2410,,EDITED"), name="fix.csv")
    reviewer = UserFactory(email="rita@utility.example.com", is_staff=True)
    client.force_login(reviewer)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/staff/metering/uploads/")
    screenshot(page, "staff-uploads-list")
    page.goto(f"{live_server.url}/staff/metering/uploads/{correction['upload_id']}/")
    screenshot(page, "staff-upload-revised")
    page.click("#revised a:text-is('history')")

    page.wait_for_selector("#history")
    assert "2025-07-01 17:00 PDT (America/Los_Angeles)" in page.inner_text("#history h2")
    rows = page.locator("#history tbody tr").all_inner_texts()
    assert rows[0].split("\t")[:3] == ["2 (current)", "2410", "EDITED"]
    assert rows[1].split("\t")[:3] == ["1", "2500", "ACTUAL"]
    screenshot(page, "staff-reading-history")
