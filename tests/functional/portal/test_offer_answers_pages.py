"""Portal pages of issue 21: standing answers, changing an answer, the decline confirmation,
the Upcoming section and the wear and net of an offer.

Events start at 12:00 Los Angeles time two days from today and last 2 hours at $2.00/kWh,
paid by the ACCEPTED_OFFER rule; the owner's charger sends 11.5 kW at most.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from settlement.events import operations
from settlement.events.models import DispatchEvent, Offer, OfferResponse, StandingRuleVersion
from tests.clients import signed_in
from tests.event_fixtures import Owner, dispatch, offer_rules, program_with
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


def noon_in_two_days() -> dt.datetime:
    day = timezone.now().astimezone(LA).date() + dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(12), tzinfo=LA).astimezone(dt.UTC)


@pytest.fixture
def program():
    return program_with(offer_rules(), code="v2g-offers")


def _event(program):
    start = noon_in_two_days()
    return dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())


RULE_FORM = {
    "name": "noon over $1",
    "min_price_per_kwh": "1.00",
    "max_kw": "7",
    "weekdays": ["1", "2", "3", "4", "5", "6", "7"],
    "start_hour": "10",
    "end_hour": "16",
    "reserve_percent": "20",
    "position": "1",
}


def test_an_owner_sets_a_rule_on_the_page_and_the_next_offer_is_accepted_for_them(program):
    owner = Owner(program)
    client = signed_in(owner.user)

    saved = client.post(f"/answers/new/{owner.participant.pk}/", RULE_FORM)
    listed = client.get("/answers/").content.decode()
    event = _event(program)
    page = client.get("/offers/").content.decode()

    assert saved.status_code == 302
    version = StandingRuleVersion.objects.get()
    assert (version.weekdays, version.start_hour, version.end_hour) == ("1234567", 10, 16)
    assert "noon over $1" in listed
    assert (
        "Accept when the price is at least $1.00/kWh; commit up to 7 kW; every day, events "
        "within 10:00-16:00 local; keep a 20% battery reserve; otherwise leave it to me."
    ) in listed
    offer = event.offers.get()
    assert (offer.status, offer.committed_kw) == ("ACCEPTED", Decimal("7.000"))
    # Upcoming, not in the history, with the rule named and the year on the date.
    upcoming = page.split("<h2>Upcoming</h2>")[1].split("<h2>History</h2>")[0]
    assert f'data-offer="{offer.pk}"' in upcoming
    assert "Accepted for you by your rule 'noon over $1' (version 1)." in upcoming
    local = event.starts_at.astimezone(LA)
    assert local.strftime("%a %-d %b %Y, 12:00") in upcoming
    history = page.split("<h2>History</h2>")[1]
    assert f'data-offer="{offer.pk}"' not in history


def test_the_offer_page_shows_the_net_computed_by_hand(program):
    owner = Owner(program)
    client = signed_in(owner.user)
    client.post(
        f"/answers/battery/{owner.export.charger.pk}/",
        {"usable_kwh": "40", "wear_cost_per_kwh": "0.10"},
    )
    _event(program)

    page = client.get("/offers/").content.decode()

    # Open, at the charger's 11.5 kW: most 11.5 x 2 h x $2.00 = $46.00; wear min(23 kWh,
    # 40 kWh) = 23 kWh x $0.10 = $2.30; net $46.00 - $2.30 = $43.70.
    assert '<span class="figure ceiling">$46.00</span>' in page
    assert '<span class="figure wear">$2.30</span>' in page
    assert '<span class="figure net">$43.70</span>' in page
    assert "Net: the most you can earn $46.00 less wear $2.30." in page


def test_a_decline_asks_for_confirmation_first(program):
    owner = Owner(program)
    client = signed_in(owner.user)
    offer = _event(program).offers.get()
    client.post(f"/offers/{offer.pk}/accept/", {"committed_kw": "5"})

    asked = client.get(f"/offers/{offer.pk}/decline/")
    unconfirmed = client.post(f"/offers/{offer.pk}/decline/")
    assert OfferResponse.objects.count() == 1
    confirmed = client.post(f"/offers/{offer.pk}/decline/", {"confirm": "yes"}, follow=True)

    assert asked.status_code == 200
    assert "Decline this offer?" in asked.content.decode()
    assert 'name="confirm" value="yes"' in asked.content.decode()
    assert "Decline this offer?" in unconfirmed.content.decode()
    assert "Declined. You will not be paid for this event." in confirmed.content.decode()
    offer.refresh_from_db()
    assert offer.status == "DECLINED"
    assert list(offer.responses.order_by("pk").values_list("change", flat=True)) == [
        "first answer",
        "accept -> decline",
    ]


def test_changing_the_committed_kw_and_the_answer_history_page(program):
    owner = Owner(program)
    client = signed_in(owner.user)
    offer = _event(program).offers.get()
    client.post(f"/offers/{offer.pk}/accept/", {"committed_kw": "7.5"})

    changed = client.post(f"/offers/{offer.pk}/accept/", {"committed_kw": "5"}, follow=True)
    history = client.get(f"/offers/{offer.pk}/answers/").content.decode()

    assert "Changed: you now commit 5 kW to this event." in changed.content.decode()
    assert Offer.objects.get(pk=offer.pk).committed_kw == Decimal("5.000")
    assert "7.5 kW -&gt; 5 kW" in history
    assert history.split('id="answers"')[1].count("owner@example.com") == 2
    assert "(counts)" in history


def test_a_change_after_the_deadline_is_refused_with_a_clear_message(program):
    owner = Owner(program)
    client = signed_in(owner.user)
    event = _event(program)
    offer = event.offers.get()
    client.post(f"/offers/{offer.pk}/accept/", {"committed_kw": "5"})
    DispatchEvent.objects.filter(pk=event.pk).update(
        response_deadline=timezone.now() - dt.timedelta(minutes=1)
    )

    confirm_page = client.get(f"/offers/{offer.pk}/decline/").content.decode()
    refused = client.post(f"/offers/{offer.pk}/decline/", {"confirm": "yes"}, follow=True)
    page = refused.content.decode()

    assert "your answer stands" in confirm_page
    assert 'name="confirm"' not in confirm_page
    assert "the deadline to answer passed at" in page
    assert Offer.objects.get(pk=offer.pk).status == "ACCEPTED"
    assert OfferResponse.objects.count() == 1
    # Still upcoming (the event has not ended), with no form to change it.
    upcoming = page.split("<h2>Upcoming</h2>")[1].split("<h2>History</h2>")[0]
    assert "Answers closed at" in upcoming


def test_a_viewer_sees_rules_but_no_form_and_cannot_post_one(program):
    owner = Owner(program)
    operations.create_standing_rule(
        participant=owner.participant,
        terms=operations.StandingTerms(name="noon over $1", min_price_per_kwh=Decimal(1)),
        user=owner.user,
        now=timezone.now(),
    )
    viewer = UserFactory(email="viewer@example.com")
    MembershipFactory(user=viewer, participant=owner.participant, role="VIEWER")
    client = signed_in(viewer)

    page = client.get("/answers/").content.decode()
    posted = client.post(f"/answers/new/{owner.participant.pk}/", RULE_FORM)

    assert "noon over $1" in page
    assert "You may view these rules; an owner or manager sets them." in page
    assert "Save rule" not in page
    assert posted.status_code == 403
    assert StandingRuleVersion.objects.count() == 1


def test_a_refused_rule_comes_back_with_the_reason_and_what_was_typed(program):
    owner = Owner(program)

    response = signed_in(owner.user).post(
        f"/answers/new/{owner.participant.pk}/", {**RULE_FORM, "reserve_percent": "150"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "reserve_percent: must be a whole percent from 0 to 100" in page
    assert 'value="150"' in page
    assert StandingRuleVersion.objects.count() == 0


def test_editing_a_rule_saves_a_new_version_and_turning_it_off(program):
    owner = Owner(program)
    client = signed_in(owner.user)
    client.post(f"/answers/new/{owner.participant.pk}/", RULE_FORM)
    rule_id = StandingRuleVersion.objects.get().rule_id

    client.post(f"/answers/{rule_id}/", {**RULE_FORM, "min_price_per_kwh": "1.50"})
    client.post(f"/answers/{rule_id}/disable/")
    page = client.get(f"/answers/{rule_id}/").content.decode()

    assert list(
        StandingRuleVersion.objects.order_by("version").values_list(
            "version", "min_price_per_kwh", "active"
        )
    ) == [
        (1, Decimal("1.00000"), True),
        (2, Decimal("1.50000"), True),
        (3, Decimal("1.50000"), False),
    ]
    assert "at least $1.50/kWh" in page
    assert "Turn this rule off" not in page


def test_a_euro_programs_owner_sets_rules_in_euros(program):
    program.currency = "EUR"
    program.save(update_fields=["currency"])
    owner = Owner(program)
    client = signed_in(owner.user)
    rule = client.post(f"/answers/new/{owner.participant.pk}/", RULE_FORM)
    assert rule.status_code == 302
    version = StandingRuleVersion.objects.get()

    listed = client.get("/answers/").content.decode()
    editing = client.get(f"/answers/{version.rule_id}/").content.decode()

    for page in (listed, editing):
        assert "Accept when the price is at least (€/kWh)" in page
        assert "and the net after battery wear is at least (€, optional)" in page
        assert 'placeholder="weekday evenings over €1"' in page
    assert "Wear cost per kWh discharged, € <input" in listed
    assert "($/kWh)" not in listed + editing
