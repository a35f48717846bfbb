"""What the schema fuzz run found (tests/functional/test_api_schema_fuzz.py), one test each.

Each test sends the exact input the fuzzer sent, or the smallest one like it, and expects
the answer the schema documents.
"""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts import roles
from settlement.api import schema as api_schema
from settlement.rate_preview.period_rating import NoVersionInForce, TariffZoneMismatch
from tests.event_fixtures import Owner, dispatch, incremental_rules, program_with
from tests.factories import ProgramFactory, UserFactory
from tests.functional import fuzz_hooks

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


# What schemathesis' data checks found (ST201: invalid data accepted, ST202: valid data
# refused): the schema now states each rule the view applies, or the view refuses what the
# schema calls invalid.


@pytest.fixture
def approver(staff_roles):
    user = UserFactory(email="approver@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.APPROVER], staff_roles[roles.REVIEWER])
    return user


def _signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _request_schema(schema: dict, path: str, method: str = "post") -> dict:
    return schema["paths"][path][method]["requestBody"]["content"]


def _component(schema: dict, content: dict) -> dict:
    reference = content["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][reference.rsplit("/", 1)[1]]


@pytest.mark.django_db
def test_an_upload_sent_form_encoded_is_a_415_as_the_schema_offers_multipart_only(owner):
    # A form-encoded body cannot carry a file: the fuzzer's `file=` (empty) got a 400 for a
    # body the schema offered (application/x-www-form-urlencoded).
    answer = _signed_in(owner).post(
        "/api/v1/metering/uploads/",
        "file=&site_id=1&format=auto",
        content_type="application/x-www-form-urlencoded",
    )

    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "unsupported_media_type"
    assert list(_request_schema(_schema(), "/api/v1/metering/uploads/")) == ["multipart/form-data"]


@pytest.mark.django_db
def test_the_json_operations_read_json_only_and_the_schema_says_so(administrator, approver):
    # A multipart body cannot say null or a number: `committed_kw=null`, `price=` (empty) and
    # a decision with no `reason` part were 400s for bodies the schema offered as multipart.
    multipart = "multipart/form-data; boundary=b"
    body = '--b\r\nContent-Disposition: form-data; name="price"\r\n\r\n\r\n--b--\r\n'

    event = _signed_in(administrator).post("/api/v1/staff/events/", body, content_type=multipart)
    decision = _signed_in(approver).post(
        "/api/v1/staff/statements/1/approve/", body, content_type=multipart
    )

    assert (event.status_code, decision.status_code) == (415, 415)
    schema = _schema()
    media_types = {
        path: list(_request_schema(schema, path))
        for path, operations in schema["paths"].items()
        if "requestBody" in operations.get("post", {})
    }
    # DRF's token endpoint takes a form too (its username and password are text).
    assert media_types.pop("/api/v1/metering/uploads/") == ["multipart/form-data"]
    assert media_types.pop("/api/v1/auth/token/") == [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/json",
    ]
    assert set(map(tuple, media_types.values())) == {("application/json",)}


@pytest.mark.django_db
def test_a_decimal_the_schema_calls_valid_is_one_the_api_takes():
    price = _component(_schema(), _request_schema(_schema(), "/api/v1/staff/events/"))[
        "properties"
    ]["price"]

    # drf-spectacular's pattern matched "", "-" and ".": valid to the schema, 400 from DRF.
    # An event's price has 12 digits, 5 after the point: 7 before it; it is not negative.
    refused = ("", "-", ".", "-.", "12345678", ".123456", "-1", "-.5")
    assert [v for v in refused if re.search(price["pattern"], v)] == []
    assert all(re.search(price["pattern"], v) for v in ("0", "5.", ".5", "1234567.12345"))
    # A decimal with no minimum keeps its sign: 4 digits, 1 after the point: 3 before it.
    free = api_schema._decimal_pattern(serializers.DecimalField(max_digits=4, decimal_places=1))
    assert [v for v in ("-.5", "-123.4", "-1234", "-") if re.search(free, v)] == ["-.5", "-123.4"]


@pytest.mark.django_db
def test_a_batch_with_no_readings_is_invalid_to_the_schema_as_to_the_api():
    schema = _schema()
    batch = _component(schema, _request_schema(schema, "/api/v1/metering/batches/"))

    # `readings: []` was valid to the schema; the serializer refuses an empty list.
    assert batch["properties"]["readings"]["minItems"] == 1


@pytest.mark.django_db
def test_a_decision_needs_a_reason_and_the_schema_says_so(approver):
    schema = _schema()
    reason = _component(
        schema, _request_schema(schema, "/api/v1/staff/statements/{statement_id}/approve/")
    )

    answer = _signed_in(approver).post(
        "/api/v1/staff/statements/1/hold/", {"reason": " \t"}, format="json"
    )

    # The schema said `reason` optional (default ""); every decision refused it blank.
    assert reason["required"] == ["reason"]
    # Blank or holding a NUL (which DRF refuses): drf-spectacular writes NUL as \u0000.
    assert reason["properties"]["reason"]["pattern"] == r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"reason": ["This field may not be blank."]}


@pytest.mark.django_db
def test_a_number_for_a_text_is_a_400_naming_the_field(approver):
    # The fuzzer's body: DRF's CharField took 0 as "0" and approved the run's clean
    # statements with the reason "0" (200), where the schema says a string.
    answer = _signed_in(approver).post(
        "/api/v1/staff/statements/approve-clean/", {"run": 1, "reason": 0}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"reason": ["Not a valid string."]}


@pytest.mark.django_db
def test_a_run_of_the_month_9999_12_is_a_400_not_a_500(approver):
    # Its end, the 1st of the next month, is past the last date Python has: ValueError.
    answer = _signed_in(approver).post(
        "/api/v1/staff/runs/", {"program": "nbt-export", "period": "9999-12"}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"period": ["Give a month YYYY-MM."]}


@pytest.mark.django_db
def test_the_schema_says_a_run_is_a_month_or_a_range_of_dates():
    schema = _schema()
    run = _request_schema(schema, "/api/v1/staff/runs/")["application/json"]["schema"]
    forms = [
        schema["components"]["schemas"][item["$ref"].rsplit("/", 1)[1]]
        for item in schema["components"]["schemas"][run["$ref"].rsplit("/", 1)[1]]["oneOf"]
    ]

    # The schema had every field optional but `program`; the view wants one of the two.
    assert [sorted(form["required"]) for form in forms] == [
        ["period", "program"],
        ["end", "program", "start"],
    ]


@pytest.mark.django_db
def test_the_webhook_documents_its_signature_header():
    schema = _schema()
    parameters = schema["paths"]["/api/v1/stripe/webhooks/"]["post"]["parameters"]

    # An unsigned request looked complete to the schema.
    assert [(p["name"], p["in"], p["required"]) for p in parameters] == [
        ("Stripe-Signature", "header", True)
    ]


def test_the_fuzz_hook_moves_a_valid_cases_end_within_a_year_after_its_start():
    same = {"start": "2000-01-01", "end": "2000-01-01"}
    reversed_ = {"start": "2025-07-21", "end": "2025-07-14"}
    at_the_end = {"start": "9999-12-31", "end": "9999-12-31"}
    for values in (same, reversed_, at_the_end):
        fuzz_hooks._within_rule(values)

    # The end moves to 1 + |end - start| % 366 days after the start: 1 + 0 = 1 day;
    # 1 + 7 = 8 days. The last start that leaves room for 366 days is 9998-12-30 (9999 is
    # not a leap year), 366 days before 9999-12-31: 1 + 366 % 366 = 1 day.
    assert same == {"start": "2000-01-01", "end": "2000-01-02"}
    assert reversed_ == {"start": "2025-07-21", "end": "2025-07-29"}
    assert at_the_end == {"start": "9998-12-30", "end": "9998-12-31"}


@pytest.mark.django_db
def test_an_upload_part_sent_empty_is_a_400_naming_it_not_a_part_left_out(owner):
    # `meter_id=`: DRF read an empty optional part as absent, and the upload was stored
    # (201) where the schema says a meter id is at least one character.
    answer = _signed_in(owner).post(
        "/api/v1/metering/uploads/",
        {"file": SimpleUploadedFile("data.csv", b"x"), "meter_id": ""},
        format="multipart",
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"meter_id": ["This field may not be blank."]}


@pytest.mark.django_db
def test_a_commitment_the_schema_calls_valid_is_one_the_operation_can_take():
    committed_kw = _component(
        _schema(), _request_schema(_schema(), "/api/v1/offers/{offer_id}/accept/")
    )["properties"]["committed_kw"]

    # The schema said any string ("hU\x1f" got a 400); `validate_commitment` takes above 0,
    # at most 3 decimals, at most 9999999.999 (the column).
    refused = ["", "hU\x1f", "0", "0.000", "-1", "0.0005", "12345678", "1e3"]
    taken = ["0.001", "7.123", "11.5", "9999999.999", ".5"]
    assert [v for v in refused if re.search(committed_kw["pattern"], v)] == []
    assert all(re.search(committed_kw["pattern"], v) for v in taken)


@pytest.mark.django_db
def test_a_run_of_a_month_not_over_yet_is_a_409(approver):
    ProgramFactory(code="nbt-export")

    # Well formed, and refused by the time now: the view documented 409, it answered 400.
    answer = _signed_in(approver).post(
        "/api/v1/staff/runs/", {"program": "nbt-export", "period": "2999-01"}, format="json"
    )

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "period_not_closed"


@pytest.mark.django_db
def test_an_event_the_programs_rules_refuse_is_a_409_a_malformed_one_a_400(administrator):
    ProgramFactory(code="bare")  # no rules: nothing pays an event
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    body = {
        "program": "bare",
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=2)).isoformat(),
        "deadline": (start - dt.timedelta(hours=1)).isoformat(),
        "kind": "economic",
        "price": "1",
    }
    client = _signed_in(administrator)

    refused_by_rules = client.post("/api/v1/staff/events/", body, format="json")
    negative = client.post("/api/v1/staff/events/", {**body, "price": "-1"}, format="json")

    # Well-formed terms the program cannot pay: 409 (it was a 400, as for malformed terms).
    assert refused_by_rules.status_code == 409
    assert refused_by_rules.json()["error"]["code"] == "event_invalid"
    assert [e["field"] for e in refused_by_rules.json()["error"]["details"]["errors"]] == [
        "program"
    ]
    assert negative.status_code == 400
    assert negative.json()["error"]["details"] == {
        "price": ["Ensure this value is greater than or equal to 0."]
    }


@pytest.mark.django_db
def test_the_rate_preview_documents_its_409s_for_tariff_data():
    responses = _responses(_schema(), "/api/v1/staff/rate-preview/", "get")

    # No version in force on some date, or a tariff in another zone than the site: the
    # request is well formed, the stored data cannot answer it (it was a 400).
    assert "409" in responses
    assert (NoVersionInForce.http_status, TariffZoneMismatch.http_status) == (409, 409)


@pytest.mark.django_db
def test_a_blank_decimal_is_a_400_not_null(administrator):
    program = program_with(incremental_rules())
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    event = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    terms = {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=2)).isoformat(),
        "deadline": (start - dt.timedelta(hours=1)).isoformat(),
        "kind": "economic",
        "price": "1",
        "target_kw": " ",
    }

    # DRF read "" as null for a nullable decimal (an owner's `committed_kw: ""` accepted the
    # offer with no commitment, 200); the schema's pattern calls it invalid.
    answer = _signed_in(administrator).post(
        f"/api/v1/staff/events/{event.pk}/modify/", terms, format="json"
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"target_kw": ["A valid number is required."]}


@pytest.mark.django_db
def test_program_settings_the_schema_calls_valid_are_ones_the_operations_take():
    schema = _schema()["components"]["schemas"]
    thresholds = schema["ThresholdsRequest"]["properties"]
    metering = schema["MeteringSettingsRequest"]["properties"]

    # The fuzzer's "0" for every amount was valid to the schema; the operations want a cap
    # above 0, a change factor of at least 1, a share from 0 to 1, and every source once.
    def matches(name: str, values: tuple[str, ...]) -> list[str]:
        return [v for v in values if re.search(thresholds[name]["pattern"], v)]

    assert matches("review_cap", ("0", "0.00", "0.01", "12.5")) == ["0.01", "12.5"]
    assert matches("change_factor", ("0", "0.99", ".5", "1", "2.25")) == ["1", "2.25"]
    assert matches("data_quality_share", ("0", ".25", "1", "1.000", "1.001", "2")) == [
        "0",
        ".25",
        "1",
        "1.000",
    ]
    assert (
        thresholds["settle_after_days"]["minimum"],
        thresholds["settle_after_days"]["maximum"],
    ) == (0, 28)
    assert {
        k: metering["source_precedence"][k] for k in ("minItems", "maxItems", "uniqueItems")
    } == {
        "minItems": 4,
        "maxItems": 4,
        "uniqueItems": True,
    }


@pytest.mark.django_db
def test_a_source_named_twice_is_a_400_naming_the_field(administrator):
    ProgramFactory(code="nbt-export")
    body = {
        "interpolate_gaps_up_to_minutes": 0,
        "site_max_kw": "10",
        "source_precedence": ["UTILITY", "UTILITY", "CHARGER", "OWNER"],
    }

    answer = _signed_in(administrator).post(
        "/api/v1/staff/programs/nbt-export/settings/metering/", body, format="json"
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"source_precedence": ["name each source once"]}


@pytest.mark.django_db
def test_a_run_needs_a_body_and_the_schema_says_so():
    # A oneOf body (a month or a range of dates) was not marked required: an empty POST
    # looked valid to the schema and was answered 400.
    assert _schema()["paths"]["/api/v1/staff/runs/"]["post"]["requestBody"]["required"] is True


@pytest.mark.django_db
def test_a_decimal_sent_as_a_json_number_is_a_400_as_the_schema_says_a_text():
    owner = Owner(program_with(incremental_rules(), code="numbers"))
    answer = _signed_in(owner.user).put(
        f"/api/v1/chargers/{owner.export.charger.pk}/battery/",
        {"usable_kwh": 40, "wear_cost_per_kwh": "0.10"},
        format="json",
    )

    assert answer.status_code == 400
    assert list(answer.json()["error"]["details"]) == ["usable_kwh"]
