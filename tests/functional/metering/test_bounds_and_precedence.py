"""Physical bounds on every channel, and which source's value an interval keeps."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from settlement.metering.models import (
    Aggregator,
    AggregatorParticipant,
    ProgramMeteringSettings,
    Reading,
    ReadingRevision,
    Source,
)
from tests.factories import UserFactory
from tests.metering_fixtures import canonical

START = "2024-05-22T17:00:00Z"
END = "2024-05-22T17:15:00Z"


def row(wh: int, start: str = START, end: str = END) -> str:
    return f"SITE-7,{start},{end},{wh},,"


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@example.com", is_staff=True)


def signed_in(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def send(user, content: bytes, **fields) -> dict:
    response = signed_in(user).post(
        "/api/v1/metering/uploads/",
        {"file": SimpleUploadedFile("data.csv", content), **fields},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


def export_reading(start: str = START) -> Reading:
    return Reading.objects.get(
        channel__meter_id="SITE-7",
        channel__kind="SITE_EXPORT",
        start=dt.datetime.fromisoformat(start),
    )


@pytest.mark.django_db
def test_the_default_revenue_meter_bound_is_100_kw(site, site_owner):
    # 100 kW x 900 s / 3.6 = 25,000 Wh: that is the most a quarter hour may carry.
    at_bound = send(site_owner, canonical(row(25_000)), site_id=site.pk)
    above = send(
        site_owner,
        canonical(row(25_001, "2024-05-22T17:15:00Z", "2024-05-22T17:30:00Z")),
        site_id=site.pk,
    )

    assert at_bound["accepted"] == 1
    assert above["errors"][0] == {
        "kind": "REJECTED",
        "location": "line 2",
        "field": "wh",
        "reason": "25001 Wh in 900 s is more than the site's service capacity allows "
        "(100.000 kW x 900 s = 25000.000 Wh)",
    }
    assert Reading.objects.count() == 1


@pytest.mark.django_db
def test_the_issue_reading_of_a_trillion_wh_is_refused_and_nothing_is_stored(site, site_owner):
    body = send(site_owner, canonical(row(999_999_999_999_999)), site_id=site.pk)

    assert (body["status"], body["accepted"], body["rejected"]) == ("REJECTED", 0, 1)
    assert body["errors"][0]["field"] == "wh"
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_a_sites_own_capacity_and_the_program_default_set_the_bound(site, site_owner):
    ProgramMeteringSettings.objects.create(
        program=site.enrollments.get().program, site_max_kw=Decimal(200)
    )
    # The program's 200 kW: 50,000 Wh a quarter hour.
    assert send(site_owner, canonical(row(50_000)), site_id=site.pk)["accepted"] == 1
    site.max_kw = Decimal(48)
    site.save()
    # The site's own 48 kW overrides it: 12,000 Wh; 12,001 is refused.
    second = "2024-05-22T17:15:00Z", "2024-05-22T17:30:00Z"
    third = "2024-05-22T17:30:00Z", "2024-05-22T17:45:00Z"
    body = send(site_owner, canonical(row(12_000, *second), row(12_001, *third)), site_id=site.pk)

    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert "(48.000 kW x 900 s = 12000.000 Wh)" in body["errors"][0]["reason"]


@pytest.mark.django_db
def test_an_owner_cannot_replace_what_the_utility_reported(site, site_owner, staff):
    send(staff, canonical(row(2500)))

    body = send(site_owner, canonical(row(9000)), site_id=site.pk)

    assert (body["status"], body["revised"], body["rejected"]) == ("REJECTED", 0, 1)
    assert body["errors"][0] == {
        "kind": "REJECTED",
        "location": "line 2",
        "field": "wh",
        "reason": "the utility already reported this interval; its value stays",
    }
    reading = export_reading()
    assert (reading.wh, reading.revision, reading.source) == (2500, 1, Source.UTILITY)
    assert not ReadingRevision.objects.exists()


@pytest.mark.django_db
def test_an_owner_fills_intervals_nobody_reported_and_repeats_are_duplicates(
    site, site_owner, staff
):
    send(staff, canonical(row(2500)))
    later = "2024-05-22T17:15:00Z", "2024-05-22T17:30:00Z"

    body = send(site_owner, canonical(row(2500), row(700, *later)), site_id=site.pk)

    assert (body["accepted"], body["duplicates"], body["rejected"]) == (1, 1, 0)
    assert export_reading(later[0]).source == Source.OWNER


@pytest.mark.django_db
def test_the_utility_revises_an_owners_value_and_the_old_value_is_kept(site, site_owner, staff):
    send(site_owner, canonical(row(9000)), site_id=site.pk)

    body = send(staff, canonical(row(2500)))

    assert body["revised"] == 1
    reading = export_reading()
    assert (reading.wh, reading.revision, reading.source) == (2500, 2, Source.UTILITY)
    old = ReadingRevision.objects.get()
    assert (old.wh, old.revision, old.source) == (9000, 1, Source.OWNER)


@pytest.mark.django_db
def test_an_aggregator_outranks_an_owner_but_not_the_utility(site, site_owner, staff):
    aggregator_user = UserFactory(email="agg@example.com")
    aggregator = Aggregator.objects.create(name="Agg")
    aggregator.users.add(aggregator_user)
    AggregatorParticipant.objects.create(aggregator=aggregator, participant=site.participant)
    later = "2024-05-22T17:15:00Z"
    send(staff, canonical(row(2500)))
    send(site_owner, canonical(row(800, later, "2024-05-22T17:30:00Z")), site_id=site.pk)

    def reading(start: str, wh: int) -> dict:
        return {
            "meter_id": "SITE-7",
            "flow": "EXPORT",
            "start": start,
            "duration_s": 900,
            "wh": wh,
            "quality": "ACTUAL",
        }

    response = signed_in(aggregator_user).post(
        "/api/v1/metering/batches/",
        {"idempotency_key": "b-1", "readings": [reading(START, 1), reading(later, 900)]},
        format="json",
    )

    body = response.json()
    assert (body["revised"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["location"] == "readings[0]"
    assert body["errors"][0]["reason"] == (
        "the utility already reported this interval; its value stays"
    )
    assert (export_reading().wh, export_reading(later).wh) == (2500, 900)
    assert export_reading(later).source == Source.AGGREGATOR


@pytest.mark.django_db
def test_a_program_may_rank_the_owner_above_the_utility(site, site_owner, staff):
    ProgramMeteringSettings.objects.create(
        program=site.enrollments.get().program,
        source_precedence=["OWNER", "UTILITY", "AGGREGATOR", "CHARGER"],
    )
    send(staff, canonical(row(2500)))

    body = send(site_owner, canonical(row(9000)), site_id=site.pk)

    assert body["revised"] == 1
    assert export_reading().wh == 9000
