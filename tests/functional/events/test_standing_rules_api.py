"""The standing answers API: rules, versions, roles, an offer's answers, wear and net.

Events here start at 12:00 Los Angeles time two days from today and last 2 hours, paid by
the ACCEPTED_OFFER rule at the event's $2.00/kWh; the owner's charger sends 11.5 kW at most.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from settlement.events.models import DispatchEvent, OfferResponse, StandingRuleVersion
from tests.event_fixtures import Owner, dispatch, offer_rules, program_with
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
RULE = {
    "name": "any day over $1",
    "min_price_per_kwh": "1.00",
    "max_kw": "7",
    "reserve_percent": 20,
}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def noon_in_two_days() -> dt.datetime:
    day = timezone.now().astimezone(LA).date() + dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(12), tzinfo=LA).astimezone(dt.UTC)


@pytest.fixture
def program():
    return program_with(offer_rules(), code="v2g-offers")


def test_an_owner_sets_a_rule_changes_it_and_disables_it(program):
    owner = Owner(program)
    client = api_for(owner.user)

    created = client.post(
        "/api/v1/standing-rules/",
        {**RULE, "participant_id": owner.participant.pk},
        format="json",
    )
    rule_id = created.json()["id"]
    changed = client.put(
        f"/api/v1/standing-rules/{rule_id}/",
        {**RULE, "min_price_per_kwh": "1.50"},
        format="json",
    )
    disabled = client.post(f"/api/v1/standing-rules/{rule_id}/disable/")
    listed = client.get("/api/v1/standing-rules/")

    assert created.status_code == 201
    assert (created.json()["version"], created.json()["weekdays"]) == (1, "1234567")
    assert changed.status_code == 200
    assert [(v["version"], v["min_price_per_kwh"]) for v in changed.json()["versions"]] == [
        (1, "1.00000"),
        (2, "1.50000"),
    ]
    assert (disabled.status_code, disabled.json()["active"], disabled.json()["version"]) == (
        200,
        False,
        3,
    )
    assert [(r["id"], r["version"], r["active"]) for r in listed.json()] == [(rule_id, 3, False)]


def test_a_viewer_cannot_set_a_rule_and_a_stranger_cannot_see_one(program):
    owner = Owner(program)
    viewer = UserFactory(email="viewer@example.com")
    MembershipFactory(user=viewer, participant=owner.participant, role="VIEWER")
    stranger = Owner(program, "stranger@example.com")
    created = api_for(owner.user).post(
        "/api/v1/standing-rules/", {**RULE, "participant_id": owner.participant.pk}, format="json"
    )
    rule_id = created.json()["id"]

    by_viewer = api_for(viewer).post(
        "/api/v1/standing-rules/", {**RULE, "participant_id": owner.participant.pk}, format="json"
    )
    viewer_change = api_for(viewer).put(f"/api/v1/standing-rules/{rule_id}/", RULE, format="json")
    viewer_reads = api_for(viewer).get(f"/api/v1/standing-rules/{rule_id}/")
    by_stranger = api_for(stranger.user).post(
        "/api/v1/standing-rules/", {**RULE, "participant_id": owner.participant.pk}, format="json"
    )
    stranger_reads = api_for(stranger.user).get(f"/api/v1/standing-rules/{rule_id}/")

    assert (by_viewer.status_code, viewer_change.status_code) == (403, 403)
    assert by_viewer.json()["error"]["code"] == "permission_denied"
    assert viewer_reads.status_code == 200
    assert (by_stranger.status_code, stranger_reads.status_code) == (404, 404)
    assert by_stranger.json()["error"]["code"] == "participant_not_found"
    assert StandingRuleVersion.objects.count() == 1


def test_bad_terms_are_a_400_naming_the_field(program):
    owner = Owner(program)

    response = api_for(owner.user).post(
        "/api/v1/standing-rules/",
        {**RULE, "participant_id": owner.participant.pk, "start_hour": 20, "end_hour": 18},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "standing_rule_invalid"
    assert response.json()["error"]["details"]["field"] == "start_hour"


def test_the_offer_shows_the_rule_the_net_and_its_answers_and_refuses_a_late_change(program):
    owner = Owner(program)
    client = api_for(owner.user)
    charger = owner.export.charger
    battery = client.put(
        f"/api/v1/chargers/{charger.pk}/battery/",
        {"usable_kwh": "40", "wear_cost_per_kwh": "0.10"},
        format="json",
    )
    client.post(
        "/api/v1/standing-rules/", {**RULE, "participant_id": owner.participant.pk}, format="json"
    )
    start = noon_in_two_days()
    event = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    offer = event.offers.get()

    shown = client.get(f"/api/v1/offers/{offer.pk}/").json()
    changed = client.post(
        f"/api/v1/offers/{offer.pk}/accept/",
        {"committed_kw": "5", "reserve_percent": 20},
        format="json",
    )
    DispatchEvent.objects.filter(pk=event.pk).update(
        response_deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    late = client.post(f"/api/v1/offers/{offer.pk}/decline/", format="json")
    answers = client.get(f"/api/v1/offers/{offer.pk}/answers/").json()

    assert battery.json()["origin"] == "owner"
    # Accepted by the rule at 7 kW with a 20% reserve: most it can earn 7 x 2 x $2.00 =
    # $28.00; wear min(14 kWh, 40 x 80% = 32 kWh) = 14 kWh x $0.10 = $1.40; net $26.60.
    assert (shown["status"], shown["committed_kw"], shown["reserve_percent"]) == (
        "ACCEPTED",
        "7.000",
        20,
    )
    assert shown["answered_by_rule"]["name"] == "any day over $1"
    assert (shown["ceiling_amount"], shown["wear_amount"], shown["net_amount"]) == (
        "28.00",
        "1.40",
        "26.60",
    )
    # Changed to 5 kW: 5 x 2 x $2.00 = $20.00; wear 10 kWh x $0.10 = $1.00; net $19.00.
    assert changed.status_code == 200
    assert (changed.json()["net_amount"], changed.json()["answered_by_rule"]) == ("19.00", None)
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "offer_closed"
    assert [
        (
            a["answer"],
            a["committed_kw"],
            a["rule_name"],
            a["responded_by"],
            a["change"],
            a["current"],
        )
        for a in answers
    ] == [
        ("ACCEPT", "7.000", "any day over $1", None, "first answer", False),
        ("ACCEPT", "5.000", None, "owner@example.com", "7 kW -> 5 kW", True),
    ]
    assert OfferResponse.objects.count() == 2
    assert Decimal(answers[-1]["committed_kw"]) == Decimal(5)


def test_a_rules_kw_above_the_charger_maximum_is_kept_and_capped_when_it_answers(program):
    owner = Owner(program)
    client = api_for(owner.user)

    created = client.post(
        "/api/v1/standing-rules/",
        {**RULE, "max_kw": "50", "participant_id": owner.participant.pk},
        format="json",
    )
    start = noon_in_two_days()
    offer = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now()).offers.get()

    # Refused before: the help text said the charger maximum caps the rule's kW.
    assert created.status_code == 201, created.json()
    # The least of 50 kW and the charger's 11.5 kW.
    assert (offer.status, offer.committed_kw) == ("ACCEPTED", Decimal("11.500"))


def test_a_charger_of_another_participant_is_not_found(program):
    owner, other = Owner(program), Owner(program, email="other@example.com")

    answer = api_for(owner.user).post(
        "/api/v1/standing-rules/",
        {**RULE, "participant_id": owner.participant.pk, "charger_id": other.export.charger.pk},
        format="json",
    )

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "charger_not_found"
    assert StandingRuleVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("monthly_limit", 0),
        ("reserve_percent", 101),
        ("position", 0),
        ("start_hour", 24),
        ("weekdays", "8"),
        ("min_price_per_kwh", ""),
        ("min_price_per_kwh", "10000"),
        ("name", " "),
    ],
)
def test_terms_the_schema_calls_invalid_are_a_400_naming_the_field(program, field, value):
    owner = Owner(program)

    answer = api_for(owner.user).post(
        "/api/v1/standing-rules/",
        {**RULE, field: value, "participant_id": owner.participant.pk},
        format="json",
    )

    assert answer.status_code == 400
    assert field in answer.json()["error"]["details"]
    assert StandingRuleVersion.objects.count() == 0
