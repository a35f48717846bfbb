"""Aggregator batches built to break the service: each is a 400 that stores nothing."""

import pytest
from rest_framework.test import APIClient

from settlement.metering.models import Reading, Upload

URL = "/api/v1/metering/batches/"
GOOD = {
    "meter_id": "SITE-7",
    "flow": "EXPORT",
    "start": "2024-05-22T17:00:00Z",
    "duration_s": 900,
    "wh": 250,
    "quality": "ACTUAL",
}


@pytest.fixture
def aggregator(aggregator_user) -> APIClient:
    api = APIClient()
    api.force_authenticate(aggregator_user)
    return api


def with_second(**changes) -> dict:
    second = {**GOOD, "start": "2024-05-22T17:15:00Z", **changes}
    return {"idempotency_key": "k-1", "readings": [GOOD, second]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "9999-12-31T23:45:00Z"}, "start"),
        ({"start": "0001-01-01T00:00:00+14:00"}, "start"),
        ({"start": "2024-05-22T17:15:00"}, "start"),
        ({"start": "not a time"}, "start"),
        ({"duration_s": 10**14}, "duration_s"),
        ({"duration_s": 10**20}, "duration_s"),
        ({"duration_s": 0}, "duration_s"),
        ({"duration_s": 900.5}, "duration_s"),
        ({"wh": 10**30}, "wh"),
        ({"wh": 2.5}, "wh"),
        ({"wh": "250"}, "wh"),
        ({"flow": "SIDEWAYS"}, "flow"),
        ({"quality": "GREAT"}, "quality"),
        ({"meter_id": ""}, "meter_id"),
        ({"meter_id": ["x"]}, "meter_id"),
    ],
)
def test_a_hostile_reading_is_a_400_naming_its_index_and_field(aggregator, changes, field):
    response = aggregator.post(URL, with_second(**changes), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["details"]) == [f"readings[1].{field}"]
    assert not Upload.objects.exists()
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_json_nested_fifty_thousand_levels_deep_is_a_400(aggregator):
    body = '{"idempotency_key": "k-1", "readings": ' + "[" * 50_000 + "]" * 50_000 + "}"

    response = aggregator.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_refused_batch_does_not_spend_its_key(aggregator):
    refused = aggregator.post(URL, with_second(start="9999-12-31T23:45:00Z"), format="json")

    corrected = aggregator.post(URL, with_second(), format="json")

    assert refused.status_code == 400
    assert (corrected.status_code, corrected.json()["accepted"]) == (201, 2)
    assert Reading.objects.count() == 2


@pytest.mark.django_db
def test_the_schema_describes_a_batchs_readings(staff_client_schema):
    reading = staff_client_schema["components"]["schemas"]["BatchReadingInputRequest"]

    assert set(reading["properties"]) == {
        "meter_id",
        "flow",
        "start",
        "duration_s",
        "wh",
        "quality",
    }
    assert reading["properties"]["duration_s"]["maximum"] == 31 * 86_400


@pytest.fixture
def staff_client_schema(db) -> dict:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()
