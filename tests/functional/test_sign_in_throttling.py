"""Password guessing is throttled: per account and per address, on the API and the page."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, UserFactory

TOKEN = "/api/v1/auth/token/"


@pytest.mark.django_db
def test_thirty_wrong_passwords_for_one_account_end_in_429_with_retry_after():
    UserFactory(email="ana@example.com")
    api = APIClient()

    codes = [
        api.post(TOKEN, {"username": "ana@example.com", "password": f"guess-{n}"}).status_code
        for n in range(30)
    ]

    # django-axes locks the account at its 5th failure; the throttle would at the 11th try.
    assert codes == [400] * 4 + [429] * 26
    locked = api.post(TOKEN, {"username": "ana@example.com", "password": TEST_PASSWORD})
    # By now the per-account throttle (10 an hour) answers first, in the same shape.
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "throttled"
    assert locked.json()["error"]["details"]["retry_after_s"] == int(locked["Retry-After"])


@pytest.mark.django_db
def test_a_locked_out_account_is_told_when_to_try_again():
    UserFactory(email="ana@example.com")
    api = APIClient()
    for n in range(5):
        api.post(TOKEN, {"username": "ana@example.com", "password": f"guess-{n}"})

    refused = api.post(TOKEN, {"username": "ana@example.com", "password": TEST_PASSWORD})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "900"
    assert refused.json() == {
        "error": {
            "code": "throttled",
            "message": "Too many failed sign-ins; try again later.",
            "details": {"retry_after_s": 900},
        }
    }


@pytest.mark.django_db
def test_token_requests_naming_one_account_are_throttled_even_when_they_succeed(settings):
    UserFactory(email="ana@example.com")
    api = APIClient()

    codes = [
        api.post(TOKEN, {"username": "ana@example.com", "password": TEST_PASSWORD}).status_code
        for _ in range(11)
    ]

    assert codes == [200] * 10 + [429]
    # The account is one, whatever the case its email is written in.
    refused = api.post(TOKEN, {"username": "ANA@Example.com", "password": TEST_PASSWORD})
    body = refused.json()["error"]
    assert (body["code"], int(refused["Retry-After"]) > 0) == ("throttled", True)
    assert body["details"]["retry_after_s"] == int(refused["Retry-After"])


@pytest.mark.django_db
def test_one_address_guessing_many_accounts_is_throttled():
    api = APIClient()

    codes = [
        api.post(TOKEN, {"username": f"u{n}@example.com", "password": "x"}).status_code
        for n in range(61)
    ]

    # The address throttle (60 an hour) stops it; failures for different names never lock
    # the address itself (axes locks a name, or a name from an address: many clients may
    # share an address behind the proxy).
    assert codes == [400] * 60 + [429]


@pytest.mark.django_db
def test_the_sign_in_page_locks_an_account_out_after_five_failures():
    UserFactory(email="ana@example.com")
    browser = Client()

    codes = [
        browser.post(
            "/accounts/login/", {"username": "ana@example.com", "password": "nope"}
        ).status_code
        for _ in range(6)
    ]
    right = browser.post(
        "/accounts/login/", {"username": "ana@example.com", "password": TEST_PASSWORD}
    )

    assert codes == [200] * 4 + [429, 429]
    assert right.status_code == 429
    assert right["Retry-After"] == "900"
    assert b'id="locked-out"' in right.content
