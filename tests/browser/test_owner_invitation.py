"""An owner the enrollment import created follows the emailed link, sets a password, signs in."""

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def links_to_live_server(live_server, settings):
    settings.SITE_URL = live_server.url


def test_an_imported_owner_sets_a_password_from_the_invitation_and_sees_the_portal(
    live_server, links_to_live_server, imported_owner, page, screenshot
):
    # The enrollment import created the owner with no password and emailed the link.
    assert not imported_owner.has_usable_password()
    (invitation,) = mail.outbox
    link = re.search(rf"{re.escape(live_server.url)}/accounts/reset/\S+", str(invitation.body))
    assert link is not None

    page.goto(link.group(0))
    assert page.inner_text("h1") == "Set your password"
    screenshot(page, "invitation-set-password")
    page.fill("#id_new_password1", "my-own-long-passphrase")
    page.fill("#id_new_password2", "my-own-long-passphrase")
    page.click("button[type=submit]")

    page.wait_for_selector("h1:has-text('Welcome')")
    assert page.url == f"{live_server.url}/"
    assert page.inner_text("h1") == "Welcome, Ines Importada"
    assert "Net billing export credits" in page.inner_text("table.enrollments")
    assert "PDE-777" in page.content()
    screenshot(page, "invitation-portal")

    # Signed out, the owner signs in with the password they chose; the link is spent.
    page.click("text=Sign out")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ines@example.com")
    page.fill("#id_password", "my-own-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Welcome')")
    page.click("text=Sign out")
    page.goto(link.group(0))
    assert page.inner_text("h1") == "Link expired"
