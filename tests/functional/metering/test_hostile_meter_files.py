"""Meter files with hostile values: each is a row error naming its field and the right bound,
nothing of it is stored, and the upload's summary, page and re-send stay readable."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from settlement.metering import problem_groups
from settlement.metering.models import Reading, Upload
from tests.clients import signed_in
from tests.factories import UserFactory
from tests.metering_fixtures import canonical

pytestmark = pytest.mark.django_db


def send(user, content: bytes):
    return signed_in(user).post(
        "/api/v1/metering/uploads/",
        {"file": SimpleUploadedFile("data.csv", content), "meter_id": "SITE-7"},
        format="multipart",
    )


NOTHING_ACCEPTED = ("file", "no reading of the file could be accepted; see the report")


def errors_of(response) -> list[tuple[str, str]]:
    return [(error["field"], error["reason"]) for error in response.json()["errors"]]


def test_instants_at_the_calendars_edge_are_row_errors_and_the_upload_stays_readable(
    site, site_owner
):
    staff = UserFactory(email="staff@example.com", is_staff=True)
    content = canonical(
        "SITE-7,0001-01-01T00:00:00+14:00,0001-01-01T00:15:00+14:00,100,,",
        "SITE-7,9999-12-31T23:45:00-14:00,9999-12-31T23:59:00-14:00,100,,",
    )

    sent = send(site_owner, content)
    upload = Upload.objects.get()
    summary = signed_in(site_owner).get(f"/api/v1/metering/uploads/{upload.pk}/")
    page = signed_in(staff).get(f"/staff/metering/uploads/{upload.pk}/")
    again = send(site_owner, content)

    assert sent.status_code == 201
    assert errors_of(sent) == [
        (
            "start",
            (
                "'0001-01-01T00:00:00+14:00' is before the first instant a reading can have "
                "(0001-01-01 00:00:00 UTC)"
            ),
        ),
        (
            "start",
            (
                "'9999-12-31T23:45:00-14:00' is after the last instant a reading can have "
                "(9999-12-31 23:59:59 UTC)"
            ),
        ),
        NOTHING_ACCEPTED,
    ]
    # A file none of whose rows was accepted is processed again when re-sent (201).
    assert (summary.status_code, page.status_code, again.status_code) == (200, 200, 201)
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,\u0663,,",
            "export_wh",
            "'\u0663' is not an integer number of Wh (ASCII digits)",
        ),
        (
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,1_000,,",
            "export_wh",
            "'1_000' is not an integer number of Wh (ASCII digits)",
        ),
        (
            "SITE-7,10000-01-01T00:00:00Z,10000-01-01T00:15:00Z,100,,",
            "start",
            (
                "'10000-01-01T00:00:00Z' is after the last instant a reading can have "
                "(9999-12-31 23:59:59 UTC)"
            ),
        ),
    ],
)
def test_a_hostile_value_is_a_row_error_naming_its_field(site, site_owner, row, field, reason):
    sent = send(site_owner, canonical(row))

    assert sent.status_code == 201
    assert errors_of(sent) == [(field, reason), NOTHING_ACCEPTED]
    assert not Reading.objects.exists()


def test_a_ten_thousand_character_meter_id_names_the_length_bound(site):
    staff = UserFactory(email="staff@example.com", is_staff=True)
    meter = "M" * 10_000
    content = canonical(f"{meter},2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,100,,")

    sent = signed_in(staff).post(
        "/api/v1/metering/uploads/",
        {"file": SimpleUploadedFile("data.csv", content)},
        format="multipart",
    )

    assert sent.status_code == 201
    assert errors_of(sent) == [
        ("meter_id", "the meter id has 10000 characters, more than the 64 a meter id can have"),
        NOTHING_ACCEPTED,
    ]


def test_a_stored_reason_naming_an_instant_beyond_utc_is_grouped_without_a_time_span():
    # As uploads received before the parser named the bound have it stored.
    stored = "'0001-01-01T00:00:00+14:00' is out of the representable range in UTC"

    (group,) = problem_groups.group_problems([("REJECTED", "line 2", "start", stored, None)])

    assert (group.reason, group.rows, group.first_at, group.last_at) == (stored, 1, None, None)
