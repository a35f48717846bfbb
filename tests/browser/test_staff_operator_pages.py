"""The operator's staff pages in a real browser at 1280 and 390 px: staff, settings, runs."""

import shutil
from pathlib import Path

import pytest

from accounts import roles
from tests.browser.conftest import sign_in
from tests.factories import ProgramFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Where the brief asks for the staff screenshots (a copy of the artifacts under var/).
SHOTS = Path("/tmp/shots-staff")  # noqa: S108 - a fixed, reviewed location for people to open


def test_an_administrator_invites_staff_and_sets_a_program(
    live_server, browser, staff_roles, screenshot
):
    administrator = UserFactory(email="boss@utility.example.com", is_staff=True)
    administrator.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    ProgramFactory(code="nbt-export", name="Net billing export", timezone="America/Los_Angeles")
    page = sign_in(browser, live_server, administrator.email)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/staff/members/")
    page.fill("#id_email", "appr@utility.example.com")
    page.check("input[name=roles][value=approver]")
    page.click("text=Save staff member")
    assert "appr@utility.example.com: created" in page.content()
    for path in screenshot(page, "staff-members"):
        shutil.copy(path, SHOTS / path.name)

    page.goto(f"{live_server.url}/staff/programs/nbt-export/settings/")
    page.fill("#id_settlement-review_cap", "750.00")
    page.click("text=Save review thresholds")
    assert "nbt-export settlement settings: created" in page.content()
    for path in screenshot(page, "program-settings"):
        shutil.copy(path, SHOTS / path.name)

    page.goto(f"{live_server.url}/staff/settlement/runs/")
    for path in screenshot(page, "settlement-runs"):
        shutil.copy(path, SHOTS / path.name)
