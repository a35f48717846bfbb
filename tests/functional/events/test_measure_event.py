"""Measuring one event now: the command and the staff button, for an event of any age."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts import roles
from settlement.events import operations
from settlement.events.models import Delivery
from tests.event_fixtures import (
    Owner,
    add_day,
    add_hours,
    dispatch,
    incremental_rules,
    local_hour,
    program_with,
)
from tests.factories import UserFactory
from tests.settlement_fixtures import run_command

pytestmark = pytest.mark.django_db

EVENT_DAY = dt.date(2025, 7, 15)
BASELINE_DAYS = (dt.date(2025, 7, 14), dt.date(2025, 7, 11), dt.date(2025, 7, 10))


@pytest.fixture
def event():
    """A July 2025 event (long past the 60-day window) one owner accepted and exported in."""
    program = program_with(incremental_rules())
    owner = Owner(program)
    for day in BASELINE_DAYS:
        add_day(owner.import_, day, wh=1000)
        add_day(owner.export, day, wh=0)
    add_hours(owner.import_, [(local_hour(EVENT_DAY, hour), 0) for hour in (15, 16, 17, 18)])
    add_hours(owner.export, [(local_hour(EVENT_DAY, 17), 8000), (local_hour(EVENT_DAY, 18), 9000)])
    found = dispatch(program, local_hour(EVENT_DAY, 17), local_hour(EVENT_DAY, 19))
    operations.accept_offer(
        offer=found.offers.get(),
        committed_kw=None,
        user=owner.user,
        now=found.starts_at - dt.timedelta(hours=2),
    )
    return found


def test_the_schedule_leaves_an_event_older_than_60_days_alone(event):
    counts = operations.measure_completed_events(now=timezone.now())

    assert counts == {"created": 0, "recomputed": 0, "unchanged": 0}
    assert not Delivery.objects.exists()


def test_measure_event_measures_an_old_event_and_results_say_when_and_from_what(event):
    code, counts = run_command("measure_event", "--event", str(event.pk))
    again_code, again = run_command("measure_event", "--event", str(event.pk))
    _, results = run_command("event_results", "--event", str(event.pk))

    delivery = Delivery.objects.get()
    assert (code, counts) == (
        0,
        {"event_id": event.pk, "created": 1, "recomputed": 0, "unchanged": 0},
    )
    assert (again_code, again) == (
        0,
        {"event_id": event.pk, "created": 0, "recomputed": 0, "unchanged": 1},
    )
    [result] = results
    assert result["measured_at"] == delivery.computed_at.isoformat()
    assert result["readings"] == {
        "count": len(delivery.inputs["readings"]),
        "first_start": min(str(key[1]) for key in delivery.inputs["readings"]),
        "last_start": max(str(key[1]) for key in delivery.inputs["readings"]),
        "sha256": delivery.readings_sha256,
    }
    assert result["readings"]["count"] > 0


def test_measure_event_refuses_an_unknown_event(event):
    code, body = run_command("measure_event", "--event", "999999")

    assert (code, body["error"]["code"]) == (2, "event_not_found")


def test_the_staff_button_measures_for_an_administrator_only(
    event, client_for, reviewer, staff_roles
):
    administrator = UserFactory(email="boss@utility.example.com", is_staff=True)
    administrator.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    url = f"/staff/events/{event.pk}/measure/"

    refused = client_for(reviewer).post(url, follow=True)
    assert b"only program administrators" in refused.content
    assert not Delivery.objects.exists()

    measured = client_for(administrator).post(url, follow=True)
    assert b"Measured: 1 created, 0 recomputed, 0 unchanged" in measured.content
    assert Delivery.objects.count() == 1
