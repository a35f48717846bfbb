"""The events API reads a time without an offset in the program's zone, as the command and
the staff page do, and refuses years no event can have (issue 18, item 11)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts import roles
from settlement.events.models import DispatchEvent
from tests.clients import signed_in
from tests.event_fixtures import Owner, offer_rules, program_with
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def administrator(staff_roles):
    user = UserFactory(email="programs@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    return user


def _body(program_code: str, start: str, end: str, deadline: str) -> dict[str, str]:
    return {
        "program": program_code,
        "start": start,
        "end": end,
        "deadline": deadline,
        "kind": "emergency",
        "price": "2.00",
    }


def test_a_start_without_an_offset_is_program_local_time(administrator):
    program = program_with(offer_rules())
    Owner(program)
    day = (timezone.now() + dt.timedelta(days=3)).astimezone(LOS_ANGELES).date()

    response = signed_in(administrator).post(
        "/api/v1/staff/events/",
        _body(program.code, f"{day}T17:00:00", f"{day}T19:00:00", f"{day}T12:00:00"),
        format="json",
    )

    assert response.status_code == 201
    event = DispatchEvent.objects.get()
    expected_start = dt.datetime.combine(day, dt.time(17), tzinfo=LOS_ANGELES)
    assert event.starts_at == expected_start
    assert event.ends_at == expected_start + dt.timedelta(hours=2)
    assert event.response_deadline == expected_start - dt.timedelta(hours=5)


def test_a_start_with_an_offset_keeps_its_offset(administrator):
    program = program_with(offer_rules())
    Owner(program)
    day = (timezone.now() + dt.timedelta(days=3)).date()

    response = signed_in(administrator).post(
        "/api/v1/staff/events/",
        _body(program.code, f"{day}T17:00:00Z", f"{day}T19:00:00Z", f"{day}T12:00:00Z"),
        format="json",
    )

    assert response.status_code == 201
    assert DispatchEvent.objects.get().starts_at == dt.datetime.combine(
        day, dt.time(17), tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    "start", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:45:00-14:00", "9999-12-31T23:00:00"]
)
def test_a_start_at_the_calendars_edge_is_a_400_naming_it(administrator, start):
    program = program_with(offer_rules())

    response = signed_in(administrator).post(
        "/api/v1/staff/events/",
        _body(program.code, start, "2030-01-01T19:00:00", "2030-01-01T12:00:00"),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"start": ["must be in the years 2000 to 9998"]}
    assert not DispatchEvent.objects.exists()
