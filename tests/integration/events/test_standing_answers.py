"""Standing answers: rules that answer offers for the owner, and the wear in an offer's net.

Every event here is on Tuesday 15 July 2025 (Los Angeles) unless said otherwise, 17:00-19:00
PDT (2 hours), by the ACCEPTED_OFFER rule at the event's price; the owner's charger sends at
most 11.5 kW and the owner has no history, so the net is the most the offer can earn less
the wear (docs/events.md).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from accounts import access
from settlement.events import operations
from settlement.events.models import Offer, OfferResponse, StandingRuleVersion
from tests.event_fixtures import Owner, dispatch, local_hour, offer_rules, program_with
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    EnrollmentFactory,
    MembershipFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 7, 15)  # a Tuesday
START, END = local_hour(DAY, 17), local_hour(DAY, 19)
SET_AT = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
BEFORE = START - dt.timedelta(hours=3)


def evenings(**changes: object) -> operations.StandingTerms:
    """Return the rule 'weekday evenings over $1': Monday to Friday, 16:00-21:00, 7 kW."""
    terms: dict[str, object] = {
        "name": "weekday evenings over $1",
        "min_price_per_kwh": Decimal("1.00"),
        "max_kw": Decimal(7),
        "weekdays": "12345",
        "start_hour": 16,
        "end_hour": 21,
        "reserve_percent": 20,
    }
    terms.update(changes)
    return operations.StandingTerms(**terms)  # type: ignore[arg-type]


def a_rule(owner: Owner, **changes: object) -> StandingRuleVersion:
    return operations.create_standing_rule(
        participant=owner.participant, terms=evenings(**changes), user=owner.user, now=SET_AT
    )


@pytest.fixture
def program():
    return program_with(offer_rules(), code="v2g-offers")


def test_a_rule_accepts_an_offer_over_its_price_and_names_itself(program):
    owner = Owner(program)
    version = a_rule(owner)

    offer = dispatch(program, START, END, price="2.00").offers.get()

    offer.refresh_from_db()
    response = OfferResponse.objects.get()
    # $2.00 >= $1.00: accepted, committing the rule's 7 kW (under the charger's 11.5 kW),
    # keeping the rule's 20% reserve.
    assert (offer.status, offer.committed_kw, offer.reserve_percent) == (
        "ACCEPTED",
        Decimal("7.000"),
        20,
    )
    assert (response.answer, response.committed_kw, response.reserve_percent) == (
        "ACCEPT",
        Decimal("7.000"),
        20,
    )
    assert (response.rule_version, response.responded_by, response.change) == (
        version,
        None,
        "first answer",
    )
    assert offer.rule_version == version
    assert response.rule_version.name == "weekday evenings over $1"


def test_an_offer_under_the_price_is_left_open_or_declined_when_the_rule_says_so(program):
    keeps_open = Owner(program, "open@example.com")
    a_rule(keeps_open)
    declines = Owner(program, "declines@example.com")
    a_rule(declines, decline_below=True)

    event = dispatch(program, START, END, price="0.80")

    # $0.80 < $1.00: the first owner's rule does not match (the offer waits for them); the
    # second's declines.
    left = event.offers.get(participant=keeps_open.participant)
    declined = event.offers.get(participant=declines.participant)
    assert (left.status, left.responses.count()) == ("OPEN", 0)
    assert (declined.status, declined.committed_kw) == ("DECLINED", None)
    assert declined.responses.get().answer == "DECLINE"


def test_a_fleet_rule_for_one_bus_answers_only_that_bus_offers(program):
    """A school district's fleet: two buses, each on its own depot site and charger, one
    participant. A rule naming bus 1's charger answers bus 1's offer at that charger's
    maximum and leaves bus 2's offer to the fleet manager."""
    bus1 = Owner(program, "fleet@example.com", max_kw=Decimal("19.2"))
    fleet = bus1.participant
    depot2 = SiteFactory(participant=fleet)
    bus2_charger = ChargerFactory(site=depot2, max_discharge_kw=Decimal("60"))
    ChannelFactory(site=depot2, meter_id="BUS-2", kind="EVSE_EXPORT", charger=bus2_charger)
    EnrollmentFactory(
        participant=fleet, site=depot2, program=program, starts_on=dt.date(2025, 1, 1)
    )
    a_rule(bus1, name="bus 1 evenings", max_kw=None, charger_id=bus1.export.charger.pk)

    event = dispatch(program, START, END, price="2.00")

    bus1_offer = event.offers.get(enrollment__site=bus1.export.site)
    bus2_offer = event.offers.get(enrollment__site=depot2)
    # Bus 1: no cap of the rule's own, so its charger's 19.2 kW.
    assert (bus1_offer.status, bus1_offer.committed_kw) == ("ACCEPTED", Decimal("19.200"))
    assert bus1_offer.rule_version.name == "bus 1 evenings"
    assert (bus2_offer.status, bus2_offer.committed_kw) == ("OPEN", None)


def test_the_committed_kw_is_capped_at_the_charger_maximum(program):
    owner = Owner(program, max_kw=Decimal("11.5"))
    a_rule(owner, max_kw=Decimal(20))

    offer = dispatch(program, START, END, price="2.00").offers.get()

    offer.refresh_from_db()
    # min(rule 20 kW, charger 11.5 kW) = 11.5 kW.
    assert offer.committed_kw == Decimal("11.500")


def test_the_rule_answers_only_inside_its_days_and_hours(program):
    owner = Owner(program)
    a_rule(owner)
    saturday = dt.date(2025, 7, 19)
    on_saturday = dispatch(program, local_hour(saturday, 17), local_hour(saturday, 19))
    # 20:00-22:00 ends after the rule's 21:00.
    too_late = dispatch(program, local_hour(DAY, 20), local_hour(DAY, 22))
    # 16:00-21:00 exactly fills the window: answered.
    inside = dispatch(
        program, local_hour(dt.date(2025, 7, 16), 16), local_hour(dt.date(2025, 7, 16), 21)
    )

    assert on_saturday.offers.get().status == "OPEN"
    assert too_late.offers.get().status == "OPEN"
    assert inside.offers.get().status == "ACCEPTED"


def test_the_monthly_limit_counts_accepted_events_in_the_local_month(program):
    owner = Owner(program)
    a_rule(owner, monthly_limit=1)

    first = dispatch(program, START, END)
    second_in_july = dispatch(
        program, local_hour(dt.date(2025, 7, 16), 17), local_hour(dt.date(2025, 7, 16), 19)
    )
    # Friday 1 August 17:00 PDT (2 August 00:00 UTC) is in the next local month: the limit
    # starts again.
    in_august = dispatch(
        program, local_hour(dt.date(2025, 8, 1), 17), local_hour(dt.date(2025, 8, 1), 19)
    )

    assert first.offers.get().status == "ACCEPTED"
    assert second_in_july.offers.get().status == "OPEN"
    assert in_august.offers.get().status == "ACCEPTED"


def test_a_modified_event_is_answered_again_by_the_rule(program):
    owner = Owner(program)
    version = a_rule(owner, decline_below=True)
    event = dispatch(program, START, END, price="0.80")
    offer = event.offers.get()
    assert offer.status == "DECLINED"

    operations.modify_event(
        event=event,
        terms=operations.EventTerms(
            starts_at=START,
            ends_at=END,
            response_deadline=START - dt.timedelta(hours=1),
            kind="EMERGENCY",
            price_per_kwh=Decimal("1.50"),
        ),
        now=BEFORE,
    )

    offer.refresh_from_db()
    # Version 1 at $1.50 >= $1.00: accepted by the same rule, 7 kW.
    assert (offer.status, offer.committed_kw, offer.modification) == (
        "ACCEPTED",
        Decimal("7.000"),
        1,
    )
    answers = list(offer.responses.order_by("pk").values_list("answer", "modification", "change"))
    assert answers == [
        ("DECLINE", 0, "first answer"),
        ("ACCEPT", 1, "answer to version 1 of the event; decline -> accept"),
    ]
    assert offer.responses.latest("pk").rule_version == version


def test_a_hand_decline_stands_when_the_event_changes(program):
    owner = Owner(program)
    offer = dispatch(program, START, END, price="0.80").offers.get()
    operations.decline_offer(offer=offer, user=owner.user, now=BEFORE - dt.timedelta(hours=1))
    a_rule(owner)

    operations.modify_event(
        event=offer.event,
        terms=operations.EventTerms(
            starts_at=START,
            ends_at=END,
            response_deadline=START - dt.timedelta(hours=1),
            kind="EMERGENCY",
            price_per_kwh=Decimal("3.00"),
        ),
        now=BEFORE,
    )

    offer.refresh_from_db()
    assert (offer.status, offer.responses.count()) == ("DECLINED", 1)


def test_the_first_matching_rule_in_order_answers(program):
    owner = Owner(program)
    a_rule(owner, name="anything over $3", min_price_per_kwh=Decimal(3), position=1)
    second = a_rule(owner, name="small over $1", max_kw=Decimal(2), position=2)

    offer = dispatch(program, START, END, price="2.00").offers.get()

    offer.refresh_from_db()
    # $2.00 < $3.00: the first does not match and does not decline; the second accepts.
    assert (offer.rule_version, offer.committed_kw) == (second, Decimal("2.000"))


def test_a_changed_rule_is_a_new_version_and_the_old_one_is_kept(program):
    owner = Owner(program)
    first = a_rule(owner)

    second = operations.change_standing_rule(
        rule=first.rule,
        terms=evenings(min_price_per_kwh=Decimal("2.50")),
        user=owner.user,
        now=SET_AT + dt.timedelta(days=1),
    )
    disabled = operations.disable_standing_rule(
        rule=first.rule, user=owner.user, now=SET_AT + dt.timedelta(days=2)
    )

    stored = list(
        StandingRuleVersion.objects.filter(rule=first.rule)
        .order_by("version")
        .values_list("version", "min_price_per_kwh", "active")
    )
    assert stored == [
        (1, Decimal("1.00000"), True),
        (2, Decimal("2.50000"), True),
        (3, Decimal("2.50000"), False),
    ]
    assert (second.version, disabled.version) == (2, 3)
    # Disabled: a new offer is left open.
    assert dispatch(program, START, END, price="3.00").offers.get().status == "OPEN"


def test_a_viewer_cannot_set_a_rule(program):
    owner = Owner(program)
    viewer = UserFactory(email="viewer@example.com")
    MembershipFactory(user=viewer, participant=owner.participant, role="VIEWER")

    with pytest.raises(access.MayNotAct):
        operations.create_standing_rule(
            participant=owner.participant, terms=evenings(), user=viewer, now=SET_AT
        )

    assert StandingRuleVersion.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_price_per_kwh": None}, "min_price_per_kwh"),
        ({"weekdays": "18"}, "weekdays"),
        ({"start_hour": 21, "end_hour": 16}, "start_hour"),
        ({"reserve_percent": 101}, "reserve_percent"),
        ({"monthly_limit": 0}, "monthly_limit"),
        ({"max_kw": Decimal("0.0001")}, "max_kw"),
        ({"name": " "}, "name"),
    ],
)
def test_bad_rule_terms_are_refused_naming_the_field(program, changes, field):
    owner = Owner(program)

    with pytest.raises(operations.StandingRuleInvalid) as raised:
        a_rule(owner, **changes)

    assert raised.value.details["field"] == field
    assert StandingRuleVersion.objects.count() == 0


# -- battery wear --------------------------------------------------------------------------


def test_the_net_is_the_most_it_can_earn_less_the_wear_of_the_commitment(program):
    owner = Owner(program)
    charger = owner.export.charger
    operations.set_battery(
        charger=charger,
        usable_kwh=Decimal(40),
        wear_cost_per_kwh=Decimal("0.10"),
        user=owner.user,
        now=SET_AT,
    )
    offer = dispatch(program, START, END, price="2.00").offers.get()

    operations.accept_offer(
        offer=offer, committed_kw=Decimal(7), user=owner.user, now=BEFORE, reserve_percent=20
    )

    offer.refresh_from_db()
    # Most it can earn: 7 kW x 2 h x $2.00 = $28.00 (no history: the net starts from it).
    # Asked 7 kW x 2 h = 14 kWh; usable above the reserve 40 x 80% = 32 kWh; 14 discharged.
    # Wear 14 x $0.10 = $1.40. Net $28.00 - $1.40 = $26.60.
    assert (offer.ceiling_amount, offer.wear_amount, offer.net_amount) == (
        Decimal("28.00"),
        Decimal("1.40"),
        Decimal("26.60"),
    )
    assert offer.worth["wear"] == (
        "14 kWh discharged (the lesser of 7 kW x 2 h = 14 kWh and 40 kWh usable above a 20% "
        "reserve = 32 kWh) x $0.10/kWh wear (your setting)"
    )
    assert offer.worth["net"] == "the most you can earn $28.00 less wear $1.40"


def test_the_wear_is_capped_by_the_usable_capacity_above_the_reserve(program):
    owner = Owner(program)
    operations.set_battery(
        charger=owner.export.charger,
        usable_kwh=Decimal(10),
        wear_cost_per_kwh=Decimal("0.10"),
        user=owner.user,
        now=SET_AT,
    )
    offer = dispatch(program, START, END, price="2.00").offers.get()

    operations.accept_offer(
        offer=offer, committed_kw=Decimal(7), user=owner.user, now=BEFORE, reserve_percent=20
    )

    offer.refresh_from_db()
    # Asked 14 kWh, usable above the reserve 10 x 80% = 8 kWh: 8 x $0.10 = $0.80 wear.
    # Net $28.00 - $0.80 = $27.20.
    assert (offer.wear_amount, offer.net_amount) == (Decimal("0.80"), Decimal("27.20"))


def test_without_a_setting_the_default_battery_prices_the_wear(program):
    Owner(program, max_kw=Decimal("11.5"))

    offer = dispatch(program, START, END, price="2.00").offers.get()

    # Default 60 kWh usable, $0.05/kWh, no reserve: asked 11.5 x 2 = 23 kWh (< 60),
    # wear 23 x $0.05 = $1.15; most it can earn 11.5 x 2 x $2.00 = $46.00; net $44.85.
    assert (offer.ceiling_amount, offer.wear_amount, offer.net_amount) == (
        Decimal("46.00"),
        Decimal("1.15"),
        Decimal("44.85"),
    )
    assert offer.worth["wear"].endswith("x $0.05/kWh wear (the default)")


def test_a_rule_on_the_net_after_wear(program):
    below = Owner(program, "below@example.com")
    operations.set_battery(
        charger=below.export.charger,
        usable_kwh=Decimal(40),
        wear_cost_per_kwh=Decimal("0.10"),
        user=below.user,
        now=SET_AT,
    )
    a_rule(below, min_price_per_kwh=None, min_net_amount=Decimal("27.00"))
    above = Owner(program, "above@example.com")
    operations.set_battery(
        charger=above.export.charger,
        usable_kwh=Decimal(10),
        wear_cost_per_kwh=Decimal("0.10"),
        user=above.user,
        now=SET_AT,
    )
    a_rule(above, min_price_per_kwh=None, min_net_amount=Decimal("27.00"))

    event = dispatch(program, START, END, price="2.00")

    # Both commit 7 kW with a 20% reserve: $28.00 - $1.40 = $26.60 < $27.00 (left open);
    # $28.00 - $0.80 = $27.20 >= $27.00 (accepted).
    assert event.offers.get(participant=below.participant).status == "OPEN"
    accepted = event.offers.get(participant=above.participant)
    assert (accepted.status, accepted.net_amount) == ("ACCEPTED", Decimal("27.20"))


def test_offer_rows_keep_their_answer_status_consistent(program):
    owner = Owner(program)
    a_rule(owner)
    offer = dispatch(program, START, END, price="2.00").offers.get()

    operations.decline_offer(offer=offer, user=owner.user, now=BEFORE)

    assert Offer.objects.get(pk=offer.pk).rule_version is None
    assert list(offer.responses.order_by("pk").values_list("change", flat=True)) == [
        "first answer",
        "accept -> decline",
    ]


def test_the_email_names_the_rule_and_the_net_after_wear(program):
    owner = Owner(program)
    operations.set_battery(
        charger=owner.export.charger,
        usable_kwh=Decimal(40),
        wear_cost_per_kwh=Decimal("0.10"),
        user=owner.user,
        now=SET_AT,
    )
    a_rule(owner)
    dispatch(program, START, END, price="2.00")

    sent = operations.send_offer_notices(now=BEFORE)

    assert sent == 1
    message = mail.outbox[-1]
    assert message.subject == "Accepted for you: export on Tue 15 Jul 2025 (Program v2g-offers)"
    # 7 kW x 2 h x $2.00 = $28.00; wear 14 kWh x $0.10 = $1.40; net $26.60.
    assert message.body.startswith(
        "An offer from Program v2g-offers was accepted for you by your rule "
        "'weekday evenings over $1' (version 1): committing 7 kW, keeping a 20% battery "
        "reserve.\nYou can change this answer until the deadline below."
    )
    assert "The most you can earn: $28.00 (7 kW x 2 h x $2.00/kWh)" in message.body
    assert "Battery wear of delivering it: $1.40 (14 kWh discharged" in message.body
    assert "Net after wear: $26.60 (the most you can earn $28.00 less wear $1.40)" in message.body
    assert "When: Tue 15 Jul 2025, 17:00 to 19:00 PDT (America/Los_Angeles)" in message.body
    assert "Answer by Tue 15 Jul 2025, 16:00 PDT (America/Los_Angeles)" in message.body
    # Told once.
    assert operations.send_offer_notices(now=BEFORE) == 0


def test_the_program_default_battery_stands_in_for_a_charger_without_a_setting():
    document = offer_rules()
    document["rules"].append(
        {
            "name": "constraints",
            "kind": "EVENT_CONSTRAINTS",
            "parameters": {"battery_usable_kwh": "10", "battery_wear_cost_per_kwh": "0.20"},
        }
    )
    program = program_with(document, code="v2g-battery")
    Owner(program, max_kw=Decimal("11.5"))

    offer = dispatch(program, START, END, price="2.00").offers.get()

    # Asked 11.5 kW x 2 h = 23 kWh; the program's battery gives 10 kWh (no reserve):
    # 10 x $0.20 = $2.00 wear; most it can earn 11.5 x 2 x $2.00 = $46.00; net $44.00.
    assert (offer.wear_amount, offer.net_amount) == (Decimal("2.00"), Decimal("44.00"))
