"""Staff pages: the portal's sign-in for visitors, the app's 404 page for owners.

Every route of the staff area is checked, so a page added later is covered too.
"""

import pytest
from django.urls import URLPattern, reverse

from settlement.staff import urls as staff_urls


def _staff_paths() -> list[str]:
    paths = []
    for pattern in staff_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        arguments = dict.fromkeys(pattern.pattern.regex.groupindex, 1)
        paths.append(reverse(f"staff:{pattern.name}", kwargs=arguments))
    return paths


STAFF_PATHS = _staff_paths()


def test_the_staff_area_has_its_pages_listed():
    assert "/staff/" in STAFF_PATHS
    assert "/staff/rate-preview/" in STAFF_PATHS


@pytest.mark.django_db
@pytest.mark.parametrize("path", STAFF_PATHS)
def test_a_signed_out_visitor_is_sent_to_the_portal_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    assert "/admin/" not in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", STAFF_PATHS)
def test_a_signed_in_owner_gets_the_apps_not_found_page(client, imported_owner, path):
    client.force_login(imported_owner)

    response = client.get(path)

    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    assert b"Page not found" in response.content
    assert b"not authorized" not in response.content


@pytest.mark.django_db
def test_staff_still_open_the_staff_home(client_for, reviewer):
    response = client_for(reviewer).get("/staff/")

    assert response.status_code == 200
