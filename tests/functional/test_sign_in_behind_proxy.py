"""Sign-in behind the TLS proxy: lockouts lock the right person, throttles see the right client.

Every request through the proxy arrives from the proxy's address (REMOTE_ADDR); the client's
own address is in X-Forwarded-For, which is trusted only when TRUSTED_PROXY_COUNT says a
proxy writes it (NUM_PROXIES for DRF, the same rule for django-axes).
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, UserFactory

TOKEN = "/api/v1/auth/token/"
LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"
PROXY = "10.0.0.2"


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def _from(client_address: str | None) -> dict[str, str]:
    headers = {"REMOTE_ADDR": PROXY}
    if client_address is not None:
        headers["HTTP_X_FORWARDED_FOR"] = client_address
    return headers


@pytest.mark.django_db
def test_failures_for_made_up_names_from_the_shared_address_lock_out_no_one_else():
    UserFactory(email="ana@example.com")
    browser = Client(REMOTE_ADDR=PROXY)
    for n in range(5):
        browser.post(LOGIN, {"username": f"nobody{n}@example.com", "password": "x"})

    page = Client(REMOTE_ADDR=PROXY).post(
        LOGIN, {"username": "ana@example.com", "password": TEST_PASSWORD}
    )
    token = APIClient(REMOTE_ADDR=PROXY).post(
        TOKEN, {"username": "ana@example.com", "password": TEST_PASSWORD}
    )

    assert (page.status_code, page["Location"]) == (302, "/")
    assert token.status_code == 200


@pytest.mark.django_db
def test_the_sign_in_page_records_the_name_given_with_each_failure():
    browser = Client()
    for name in ("Nobody0@Example.com", "nobody1@example.com", "nobody1@example.com"):
        browser.post(LOGIN, {"username": name, "password": "x"})

    recorded = dict(AccessAttempt.objects.values_list("username", "failures_since_start"))

    assert recorded == {"nobody0@example.com": 1, "nobody1@example.com": 2}


@pytest.mark.django_db
def test_a_name_longer_than_the_column_is_recorded_by_its_digest():
    Client().post(LOGIN, {"username": "a" * 5000 + "@example.com", "password": "x"})

    (name,) = AccessAttempt.objects.values_list("username", flat=True)

    assert name.startswith("sha256:")
    assert len(name) == 71


@pytest.mark.django_db
def test_one_account_locks_from_one_address_after_five_failures_but_not_elsewhere(
    behind_one_proxy,
):
    UserFactory(email="ana@example.com")
    codes = [
        Client(**_from("198.51.100.7"))
        .post(LOGIN, {"username": "ana@example.com", "password": "nope"})
        .status_code
        for _ in range(5)
    ]

    same_address = Client(**_from("198.51.100.7")).post(
        LOGIN, {"username": "ana@example.com", "password": TEST_PASSWORD}
    )
    other_address = Client(**_from("203.0.113.50")).post(
        LOGIN, {"username": "ana@example.com", "password": TEST_PASSWORD}
    )

    assert codes == [200] * 4 + [429]
    assert same_address.status_code == 429
    assert (other_address.status_code, other_address["Location"]) == (302, "/")


@pytest.mark.django_db
def test_one_account_locks_from_anywhere_after_twenty_failures(behind_one_proxy):
    UserFactory(email="ana@example.com")

    codes = [
        Client(**_from(f"198.51.100.{n}"))
        .post(LOGIN, {"username": "ana@example.com", "password": "nope"})
        .status_code
        for n in range(1, 21)
    ]
    right = Client(**_from("203.0.113.50")).post(
        LOGIN, {"username": "ana@example.com", "password": TEST_PASSWORD}
    )

    assert codes == [200] * 19 + [429]
    assert right.status_code == 429


@pytest.mark.django_db
def test_the_token_throttle_ignores_x_forwarded_for_when_no_proxy_is_trusted():
    api = APIClient()

    codes = [
        api.post(TOKEN, {}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(1, 62)
    ]

    assert codes == [400] * 60 + [429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_one_clients_requests_do_not_throttle_another(
    behind_one_proxy,
):
    UserFactory(email="ana@example.com")
    api = APIClient()
    flood = [api.post(TOKEN, {}, **_from("198.51.100.7")).status_code for _ in range(61)]

    ana = api.post(
        TOKEN, {"username": "ana@example.com", "password": TEST_PASSWORD}, **_from("203.0.113.5")
    )

    assert flood == [400] * 60 + [429]
    assert ana.status_code == 200


@pytest.mark.django_db
def test_password_reset_sends_three_emails_an_hour_per_account_and_answers_alike():
    UserFactory(email="ana@example.com")
    browser = Client()

    answers = [browser.post(RESET, {"email": "ana@example.com"}) for _ in range(5)]

    assert [(a.status_code, a["Location"]) for a in answers] == [
        (302, "/accounts/password_reset/done/")
    ] * 5
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_password_reset_from_one_address_is_throttled_across_accounts():
    UserFactory(email="ana@example.com")
    browser = Client()
    for n in range(20):
        browser.post(RESET, {"email": f"nobody{n}@example.com"})

    answer = browser.post(RESET, {"email": "ana@example.com"})

    assert (answer.status_code, answer["Location"]) == (302, "/accounts/password_reset/done/")
    assert mail.outbox == []
