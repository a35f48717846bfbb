"""Staff load a meter data file through the staff pages in a real browser."""

import pytest

from tests.factories import TEST_PASSWORD, UserFactory
from tests.metering_fixtures import canonical

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Two quarter-hours on the site's revenue meter: 2,500 Wh and 2,600 Wh exported.
ROWS = (
    "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,,",
    "SITE-7,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,2600,,",
)


def test_staff_upload_a_file_and_read_its_outcome(live_server, page, site, tmp_path):
    staff = UserFactory(email="ops@utility.example.com", is_staff=True)
    data = tmp_path / "two-intervals.csv"
    data.write_bytes(canonical(*ROWS))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/staff/")
    page.click("text=Meter data uploads")
    page.set_input_files("#id_file", str(data))
    page.click("button:has-text('Upload')")

    page.wait_for_selector("#status")
    assert page.inner_text("#status") == "PROCESSED"
    assert "Accepted 2, duplicates 0, revised 0, rejected 0" in page.content()
    # 2,500 + 2,600 = 5,100 Wh on SITE-7's export channel.
    assert "<td>SITE-7</td><td>SITE_EXPORT</td><td>2</td><td>5100</td>" in page.content()
