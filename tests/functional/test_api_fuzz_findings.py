"""What the schema fuzz run found (tests/functional/test_api_schema_fuzz.py), one test each.

Each test sends the exact input the fuzzer sent, or the smallest one like it, and expects
the answer the schema documents.
"""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from tests.event_fixtures import dispatch, incremental_rules, program_with
from tests.factories import UserFactory

TOKEN = "/api/v1/auth/token/"
NOT_SIGNED_IN = {
    "error": {
        "code": "invalid",
        "message": "The request is not valid.",
        "details": {"non_field_errors": ["Unable to log in with provided credentials."]},
    }
}


@pytest.mark.django_db
def test_a_sign_in_name_with_control_characters_and_spaces_is_refused_not_a_500():
    # The fuzzer's name: a backspace, a C1 control character, astral characters. The
    # per-account throttle put it in a cache key as it was; the cache refuses such keys.
    name = "y\u00f9\u00cb\x08\u00c2\x9c\U0002a18f \u00d5\U000206db\x02\u00e8"

    answer = APIClient().post(TOKEN, {"username": name, "password": "if"})

    assert answer.status_code == 400
    assert answer.json() == NOT_SIGNED_IN


@pytest.mark.django_db
def test_a_sign_in_name_of_a_kilobyte_is_refused_not_a_500():
    answer = APIClient().post(TOKEN, {"username": "a" * 1000 + "@example.com", "password": "x"})

    assert answer.status_code == 400
    assert answer.json() == NOT_SIGNED_IN


@pytest.fixture
def administrator(staff_roles):
    user = UserFactory(email="programs@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    return user


@pytest.mark.django_db
def test_modifying_an_event_with_a_list_for_a_body_is_a_400_naming_the_body(administrator):
    program = program_with(incremental_rules())
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    event = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    client = APIClient()
    client.force_authenticate(administrator)

    # The view spread the body into a dict with the event's program: a list raised TypeError.
    answer = client.post(f"/api/v1/staff/events/{event.pk}/modify/", [1], format="json")

    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "code": "invalid",
            "message": "The request is not valid.",
            "details": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
        }
    }


def _schema() -> dict:
    return APIClient().get("/api/schema/?format=json").json()


def _responses(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]["responses"]


@pytest.mark.django_db
def test_the_schema_documents_each_error_an_operation_answers_in_the_one_error_shape():
    schema = _schema()
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOutput"}}}

    accept = _responses(schema, "/api/v1/offers/{offer_id}/accept/", "post")
    me = _responses(schema, "/api/v1/me/", "get")
    sign_in = _responses(schema, "/api/v1/auth/token/", "post")
    staff_list = _responses(schema, "/api/v1/staff/statements/", "get")

    # A body (400, 415), a token (401), CSRF for a session (403), an id (404), a conflict (409).
    assert sorted(accept) == ["200", "400", "401", "403", "404", "409", "415"]
    assert all(accept[code]["content"] == error for code in accept if code != "200")
    assert sorted(me) == ["200", "401"]
    # The sign-in endpoint needs no token, and is throttled.
    assert sorted(sign_in) == ["200", "400", "403", "415", "429"]
    # Query filters (400), staff only (403).
    assert sorted(staff_list) == ["200", "400", "401", "403"]
    assert schema["components"]["schemas"]["ErrorOutput"]["properties"]["error"] == {
        "$ref": "#/components/schemas/ErrorFields"
    }


@pytest.mark.django_db
def test_the_payout_list_is_documented_as_the_page_it_answers(owner):
    schema = _schema()
    client = APIClient()
    client.force_authenticate(owner)

    page = client.get("/api/v1/payouts/")

    # The schema said a bare array; the view answers LimitOffsetPagination's page.
    assert page.json() == {"count": 0, "next": None, "previous": None, "results": []}
    documented = _responses(schema, "/api/v1/payouts/", "get")["200"]["content"]
    assert documented["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PayoutPageOutput"
    }
    assert sorted(schema["components"]["schemas"]["PayoutPageOutput"]["properties"]) == [
        "count",
        "next",
        "previous",
        "results",
    ]
