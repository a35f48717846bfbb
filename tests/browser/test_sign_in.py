"""An owner signs in through a real browser and sees their enrollments."""

import pytest

from tests.factories import TEST_PASSWORD, EnrollmentFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_signs_in_and_sees_their_program(live_server, page, owner, owner_participant):
    site = SiteFactory(participant=owner_participant, account_number="PDE-555")
    EnrollmentFactory(site=site, program__name="Net billing export credits")

    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/"
    page.fill("#id_username", owner.email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("h1")
    assert page.url == f"{live_server.url}/"
    assert page.inner_text("h1") == "Welcome, Olivia Owner"
    # The dashboard (issue 20) lists enrollments in their own table, below the figures.
    assert "Net billing export credits" in page.inner_text("table.enrollments")
    assert "PDE-555" in page.content()


def test_a_wrong_password_keeps_the_visitor_on_the_sign_in_page(live_server, page, owner):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")

    assert page.inner_text(".error") == "Your email and password didn't match. Please try again."
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
