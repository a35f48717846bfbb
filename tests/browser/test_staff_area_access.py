"""Visitors and owners opening a staff page get the portal's pages, never the admin's."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_signed_out_visitor_of_staff_gets_the_portal_sign_in(live_server, page, screenshot):
    page.goto(f"{live_server.url}/staff/")

    assert page.url == f"{live_server.url}/accounts/login/?next=/staff/"
    assert page.inner_text("h1") == "Sign in"
    assert "Django administration" not in page.content()
    screenshot(page, "staff-signed-out")


def test_a_signed_in_owner_opening_staff_gets_the_not_found_page(
    live_server, page, imported_owner, client, screenshot
):
    client.force_login(imported_owner)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    response = page.goto(f"{live_server.url}/staff/rate-preview/")

    assert response.status == 404
    assert page.inner_text("h1") == "Page not found"
    assert "not authorized" not in page.content()
    assert page.inner_text("header").count("ines@example.com") == 1
    screenshot(page, "staff-owner-not-found")
