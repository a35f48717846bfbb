"""Offers and events over HTTP and the operator commands: access, answers, query counts."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from settlement.events import operations
from settlement.events.models import DispatchEvent, Offer, OfferResponse
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

pytestmark = pytest.mark.django_db


def soon(hours: int = 48) -> dt.datetime:
    """Return a whole hour some hours from now, in July-like summer or not (no constraints)."""
    return (timezone.now() + dt.timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def administrator(staff_roles):
    user = UserFactory(email="programs@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    return user


def run(command: str, *args: str) -> tuple[int, object]:
    out = StringIO()
    code = 0
    try:
        call_command(command, *args, stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def test_an_owner_lists_and_accepts_their_offer_through_the_api():
    program = program_with(incremental_rules())
    owner = Owner(program)
    start = soon()
    event = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    offer = event.offers.get()

    listed = api_for(owner.user).get("/api/v1/offers/")
    accepted = api_for(owner.user).post(
        f"/api/v1/offers/{offer.pk}/accept/", {"committed_kw": "6.5"}, format="json"
    )

    assert listed.status_code == 200
    assert [o["id"] for o in listed.json()] == [offer.pk]
    assert listed.json()[0]["ceiling_amount"] == "46.00"
    assert listed.json()[0]["worth"]["estimate"] == "no history yet"
    assert listed.json()[0]["event_status"] == "scheduled"
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["committed_kw"]) == ("ACCEPTED", "6.500")


def test_an_owner_gets_404_for_someone_elses_offer():
    program = program_with(incremental_rules())
    Owner(program)
    stranger = Owner(program, email="stranger@example.com")
    start = soon()
    event = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    theirs = event.offers.get(participant__email="owner@example.com")

    seen = api_for(stranger.user).get(f"/api/v1/offers/{theirs.pk}/")
    answered = api_for(stranger.user).post(f"/api/v1/offers/{theirs.pk}/decline/")
    page = api_for(stranger.user)
    page.force_login(stranger.user)
    posted = page.post(f"/offers/{theirs.pk}/accept/")

    assert (seen.status_code, answered.status_code, posted.status_code) == (404, 404, 404)
    assert seen.json()["error"]["code"] == "offer_not_found"
    assert OfferResponse.objects.count() == 0


def test_a_late_answer_through_the_api_is_refused_with_a_clear_message():
    program = program_with(incremental_rules())
    owner = Owner(program)
    start = soon(3)
    event = dispatch(
        program,
        start,
        start + dt.timedelta(hours=2),
        deadline=start - dt.timedelta(hours=2),
        now=timezone.now(),
    )
    DispatchEvent.objects.filter(pk=event.pk).update(
        response_deadline=timezone.now() - dt.timedelta(minutes=1)
    )

    response = api_for(owner.user).post(
        f"/api/v1/offers/{event.offers.get().pk}/accept/", {}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "offer_closed"
    assert response.json()["error"]["message"].startswith("the deadline to answer passed at ")


def test_a_program_administrator_creates_modifies_cancels_and_reads_results(administrator):
    program = program_with(incremental_rules())
    Owner(program)
    client = api_for(administrator)
    start = soon()
    local = start.astimezone(dt.timezone(dt.timedelta(hours=-7)))
    body = {
        "program": program.code,
        "start": local.isoformat(),
        "end": (local + dt.timedelta(hours=2)).isoformat(),
        "deadline": (local - dt.timedelta(hours=1)).isoformat(),
        "kind": "emergency",
        "price": "2.00",
    }

    created = client.post("/api/v1/staff/events/", body, format="json")
    event_id = created.json()["event_id"]
    modified = client.post(
        f"/api/v1/staff/events/{event_id}/modify/", {**body, "price": "2.50"}, format="json"
    )
    results = client.get(f"/api/v1/staff/events/{event_id}/results/")
    cancelled = client.post(f"/api/v1/staff/events/{event_id}/cancel/")

    assert created.status_code == 201
    assert (created.json()["offers"], created.json()["modification"], created.json()["status"]) == (
        1,
        0,
        "scheduled",
    )
    assert (modified.json()["modification"], modified.json()["price_per_kwh"]) == (1, "2.50000")
    assert results.json() == [
        {
            "participant_email": "owner@example.com",
            "response": "open",
            "baseline_kwh": None,
            "delivered_kwh": None,
            "incremental_kwh": None,
            "amount": "0.00",
            "settleable": False,
            "reason": "not measured yet (after the event ends)",
            "measured_at": None,
            "readings": None,
        }
    ]
    assert (cancelled.json()["status"], cancelled.json()["modification"]) == ("cancelled", 2)


def test_staff_without_the_role_read_events_but_cannot_create_them(reviewer):
    program = program_with(incremental_rules())
    start = soon()

    response = api_for(reviewer).post(
        "/api/v1/staff/events/",
        {
            "program": program.code,
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=2)).isoformat(),
            "deadline": start.isoformat(),
            "kind": "test",
            "price": "1",
        },
        format="json",
    )

    assert response.status_code == 403
    assert DispatchEvent.objects.count() == 0
    assert api_for(reviewer).get("/api/v1/staff/events/").status_code == 200


def test_an_invalid_event_names_each_field_and_is_a_400(administrator):
    program = program_with(incremental_rules())
    start = soon()

    response = api_for(administrator).post(
        "/api/v1/staff/events/",
        {
            "program": program.code,
            "start": start.isoformat(),
            "end": start.isoformat(),
            "deadline": (start + dt.timedelta(hours=1)).isoformat(),
            "kind": "economic",
            "price": "1",
        },
        format="json",
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["error"]["details"]["errors"]] == [
        "end",
        "deadline",
    ]


def test_the_commands_create_modify_cancel_and_report(tmp_path):
    program = program_with(incremental_rules())
    Owner(program)
    start = soon().astimezone(dt.timezone(dt.timedelta(hours=-7)))

    code, created = run(
        "create_event",
        "--program",
        program.code,
        "--start",
        start.isoformat(),
        "--end",
        (start + dt.timedelta(hours=2)).isoformat(),
        "--kind",
        "emergency",
        "--price",
        "2.00",
        "--deadline",
        (start - dt.timedelta(hours=1)).isoformat(),
        "--target-kw",
        "50",
    )
    _, modified = run("modify_event", "--event", str(created["event_id"]), "--price", "2.25")
    _, results = run("event_results", "--event", str(created["event_id"]))
    _, cancelled = run("cancel_event", "--event", str(created["event_id"]))
    missing_code, missing = run("event_results", "--event", "999999")

    assert code == 0
    assert created == {"event_id": created["event_id"], "modification": 0, "offers": 1}
    assert (modified["modification"], modified["needs_confirmation"]) == (1, 0)
    assert DispatchEvent.objects.get().target_kw == Decimal(50)
    assert list(results[0]) == [
        "participant_email",
        "response",
        "baseline_kwh",
        "delivered_kwh",
        "incremental_kwh",
        "amount",
        "settleable",
        "reason",
        "measured_at",
        "readings",
    ]
    assert (cancelled["status"], cancelled["modification"]) == ("cancelled", 2)
    assert (missing_code, missing["error"]["code"]) == (2, "event_not_found")


def test_create_event_refuses_a_window_outside_the_rules_with_status_2():
    program = program_with(incremental_rules())
    past = dt.datetime(2020, 7, 1, 17, tzinfo=dt.UTC)

    code, body = run(
        "create_event",
        "--program",
        program.code,
        "--start",
        past.isoformat(),
        "--end",
        (past + dt.timedelta(hours=2)).isoformat(),
        "--kind",
        "test",
        "--price",
        "1",
        "--deadline",
        past.isoformat(),
    )

    assert code == 2
    assert body["error"]["code"] == "event_invalid"
    # 2020 is before the program's rules, in the past, and the deadline has passed too.
    assert {e["field"] for e in body["error"]["details"]["errors"]} == {
        "start",
        "deadline",
        "program",
    }


def _offers_for(program, owner, count: int, start: dt.datetime) -> None:
    """Make `count` past events, each with a measured delivery, for one owner."""
    for n in range(count):
        day = dt.date(2025, 7, 1) + dt.timedelta(days=n)
        event = dispatch(program, local_hour(day, 17), local_hour(day, 19), now=local_hour(day, 9))
        offer = event.offers.get()
        operations.accept_offer(
            offer=offer, committed_kw=None, user=owner.user, now=local_hour(day, 10)
        )
    for event in DispatchEvent.objects.all():
        operations.measure_event(event=event, now=start)


def test_the_owner_offer_list_runs_a_fixed_number_of_queries(client):
    program = program_with(incremental_rules())
    owner = Owner(program)
    client.force_login(owner.user)
    now = timezone.now()
    _offers_for(program, owner, 2, now)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/offers/").status_code == 200
    with CaptureQueriesContext(connection) as few_api:
        assert client.get("/api/v1/offers/").status_code == 200
    _offers_for(program, owner, 4, now)
    assert Offer.objects.count() == 6

    with CaptureQueriesContext(connection) as many:
        assert client.get("/offers/").status_code == 200
    with CaptureQueriesContext(connection) as many_api:
        assert client.get("/api/v1/offers/").status_code == 200

    assert len(many) == len(few)
    assert len(many_api) == len(few_api)


def test_the_staff_results_page_runs_a_fixed_number_of_queries(client, administrator):
    program = program_with(incremental_rules())
    client.force_login(administrator)
    day = dt.date(2025, 7, 15)

    def event_with(owners: int) -> DispatchEvent:
        for n in range(owners):
            Owner(program, email=f"o{owners}-{n}@example.com")
        event = dispatch(program, local_hour(day, 17), local_hour(day, 19), now=local_hour(day, 9))
        operations.measure_event(event=event, now=timezone.now())
        return event

    small = event_with(2)
    DispatchEvent.objects.filter(pk=small.pk).update(cancelled_at=timezone.now())
    large = event_with(3)
    assert (small.offers.count(), large.offers.count()) == (2, 5)

    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/staff/events/{small.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"/staff/events/{large.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as few_api:
        client.get(f"/api/v1/staff/events/{small.pk}/results/")
    with CaptureQueriesContext(connection) as many_api:
        client.get(f"/api/v1/staff/events/{large.pk}/results/")

    assert len(many) == len(few)
    assert len(many_api) == len(few_api)


def test_the_owner_page_shows_the_open_offer_and_answers_it(client):
    program = program_with(incremental_rules())
    owner = Owner(program)
    start = soon()
    event = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    client.force_login(owner.user)

    page = client.get("/offers/")
    answered = client.post(
        f"/offers/{event.offers.get().pk}/accept/", {"committed_kw": "20"}, follow=True
    )

    body = page.content.decode()
    assert "$46.00" in body and "no history yet" in body and "11.5 kW x 2 h x $2.00/kWh" in body
    assert "above the charger maximum 11.5 kW" in answered.content.decode()
    assert event.offers.get().status == "OPEN"


def test_the_staff_participant_page_shows_baseline_against_actual(client, administrator):
    program = program_with(incremental_rules())
    owner = Owner(program)
    day = dt.date(2025, 7, 15)
    for history in (dt.date(2025, 7, 14), dt.date(2025, 7, 11), dt.date(2025, 7, 10)):
        add_day(owner.import_, history, wh=1000)
        add_day(owner.export, history, wh=0)
    add_hours(owner.export, [(local_hour(day, 17), 8000), (local_hour(day, 18), 9000)])
    add_hours(owner.import_, [(local_hour(day, 17), 0), (local_hour(day, 18), 0)])
    event = dispatch(program, local_hour(day, 17), local_hour(day, 19), now=local_hour(day, 9))
    offer = event.offers.get()
    operations.accept_offer(
        offer=offer, committed_kw=None, user=owner.user, now=local_hour(day, 10)
    )
    operations.measure_event(event=event, now=timezone.now())
    client.force_login(administrator)

    page = client.get(f"/staff/events/{event.pk}/offers/{offer.pk}/").content.decode()

    assert "Baseline against actual, hour by hour" in page
    assert page.count('class="baseline"') == 3  # two bars and the legend
    assert "17:00" in page and "18:00" in page
