"""Dispatching events, the offers they make, and owners' answers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from settlement.events import constraints, operations
from settlement.events.models import Delivery, Offer, OfferResponse
from tests.event_fixtures import (
    Owner,
    add_hours,
    dispatch,
    incremental_rules,
    local_hour,
    offer_rules,
    program_with,
)
from tests.factories import EnrollmentFactory, ProgramFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 7, 15)
START, END = local_hour(DAY, 17), local_hour(DAY, 19)
BEFORE = START - dt.timedelta(hours=3)


def constraints_rules() -> dict:
    document = incremental_rules()
    document["rules"].append(
        {
            "kind": "EVENT_CONSTRAINTS",
            "parameters": {
                "season_months": [5, 6, 7, 8, 9, 10],
                "earliest_start": "16:00",
                "latest_end": "21:00",
                "min_duration_minutes": 60,
                "max_duration_minutes": 180,
                "yearly_hour_cap": 4,
                "kinds": ["EMERGENCY", "TEST"],
            },
        }
    )
    return document


def test_an_event_makes_an_offer_to_each_eligible_enrollment_with_its_worth():
    program = program_with(incremental_rules())
    owner = Owner(program, max_kw=Decimal("11.5"))
    Owner(program, email="late@example.com", starts_on=dt.date(2025, 7, 16))  # not enrolled yet
    no_charger = Owner(program, email="solar@example.com")
    no_charger.export.delete()
    no_charger.import_.delete()

    event = dispatch(program, START, END)

    offer = event.offers.get()
    assert offer.participant == owner.participant
    assert (offer.status, offer.channel_kind, offer.max_kw) == (
        "OPEN",
        "EVSE_EXPORT",
        Decimal("11.5"),
    )
    # 11.5 kW x 2 h x $2 (the rule's price) = $46.00; no past events: no estimate.
    assert offer.ceiling_amount == Decimal("46.00")
    assert offer.estimate_amount is None
    assert offer.worth["ceiling"] == "11.5 kW x 2 h x $2.00/kWh"
    assert offer.worth["estimate"] == "no history yet"
    assert event.modification == 0


def test_an_enrollment_excluded_by_another_program_gets_no_offer():
    program = program_with(incremental_rules())
    owner = Owner(program)
    other = ProgramFactory(code="aggregator-subgroup")
    program.exclusive_with.add(other)
    EnrollmentFactory(participant=owner.participant, site=owner.enrollment.site, program=other)

    event = dispatch(program, START, END)

    assert event.offers.count() == 0


def test_the_estimate_is_the_median_of_the_owners_past_deliveries():
    program = program_with(incremental_rules())
    owner = Owner(program)
    offer_before = dispatch(
        program, local_hour(dt.date(2025, 7, 8), 17), local_hour(dt.date(2025, 7, 8), 19)
    ).offers.get()
    Delivery.objects.create(
        offer=offer_before,
        rule_set_id=program.rule_sets.get().pk,
        rule_kind="EVENT_INCREMENTAL",
        settleable=True,
        delivered_wh=Decimal(16000),
        amount=Decimal("32.00"),
        readings_sha256="x",
        computed_at=START,
    )

    offer = dispatch(program, START, END).offers.get()

    # 16 kWh over 2 h = 8 kWh/h; x 2 h x $2 = $32.00 (under the $46 ceiling).
    assert offer.estimate_amount == Decimal("32.00")
    assert (
        offer.worth["estimate"]
        == "median of your 1 past event(s): 8.000 kWh per hour x 2 h x $2.00/kWh"
    )
    assert owner.enrollment.offers.count() == 2


def test_accepting_with_a_committed_kw_records_one_response():
    program = program_with(incremental_rules())
    owner = Owner(program)
    offer = dispatch(program, START, END).offers.get()

    accepted = operations.accept_offer(
        offer=offer, committed_kw=Decimal("7.5"), user=owner.user, now=BEFORE
    )

    assert (accepted.status, accepted.committed_kw, accepted.responded_at) == (
        "ACCEPTED",
        Decimal("7.5"),
        BEFORE,
    )
    response = OfferResponse.objects.get()
    assert (response.answer, response.modification, response.committed_kw) == (
        "ACCEPT",
        0,
        Decimal("7.5"),
    )


def test_a_commitment_above_the_charger_maximum_is_refused():
    program = program_with(incremental_rules())
    owner = Owner(program, max_kw=Decimal("11.5"))
    offer = dispatch(program, START, END).offers.get()

    with pytest.raises(operations.CommitmentInvalid, match=r"above the charger maximum 11\.5 kW"):
        operations.accept_offer(
            offer=offer, committed_kw=Decimal("12"), user=owner.user, now=BEFORE
        )

    assert OfferResponse.objects.count() == 0


def test_an_answer_after_the_deadline_is_refused_with_the_deadline():
    program = program_with(incremental_rules())
    owner = Owner(program)
    event = dispatch(program, START, END, deadline=START - dt.timedelta(hours=1))
    offer = event.offers.get()

    with pytest.raises(operations.OfferClosed) as raised:
        operations.accept_offer(
            offer=offer, committed_kw=None, user=owner.user, now=START - dt.timedelta(minutes=59)
        )

    assert raised.value.message == "the deadline to answer passed at 2025-07-15T23:00:00+00:00"
    offer.refresh_from_db()
    assert (offer.status, OfferResponse.objects.count()) == ("OPEN", 0)


def test_the_same_answer_again_is_refused_and_changes_nothing():
    program = program_with(incremental_rules())
    owner = Owner(program)
    offer = dispatch(program, START, END).offers.get()
    operations.accept_offer(offer=offer, committed_kw=None, user=owner.user, now=BEFORE)

    with pytest.raises(operations.AlreadyAnswered):
        operations.accept_offer(offer=offer, committed_kw=None, user=owner.user, now=BEFORE)

    offer.refresh_from_db()
    assert offer.status == "ACCEPTED"
    assert OfferResponse.objects.count() == 1


def test_a_modification_after_acceptance_needs_confirmation_and_tells_the_owner():
    program = program_with(incremental_rules())
    owner = Owner(program)
    event = dispatch(program, START, END)
    offer = event.offers.get()
    operations.send_offer_notices(now=BEFORE - dt.timedelta(hours=1))
    operations.accept_offer(offer=offer, committed_kw=Decimal(5), user=owner.user, now=BEFORE)

    modified = operations.modify_event(
        event=event,
        terms=operations.EventTerms(
            starts_at=START,
            ends_at=END + dt.timedelta(hours=1),
            response_deadline=START - dt.timedelta(minutes=30),
            kind="EMERGENCY",
            price_per_kwh=Decimal("2.50"),
        ),
        now=BEFORE,
    )
    sent = operations.send_offer_notices(now=BEFORE)

    offer.refresh_from_db()
    assert modified.modification == 1
    assert offer.status == "NEEDS_CONFIRMATION"
    # The worth follows the new terms: 5 kW committed x 3 h x $2 (rule price) = $30.00.
    assert offer.ceiling_amount == Decimal("30.00")
    assert sent == 1
    assert mail.outbox[-1].subject == "Changed: please confirm your Program elrp event"
    assert mail.outbox[-1].to == ["owner@example.com"]
    # The owner confirms the new version: a second response, for modification 1.
    operations.accept_offer(offer=offer, committed_kw=Decimal(5), user=owner.user, now=BEFORE)
    assert list(
        OfferResponse.objects.order_by("modification").values_list("modification", flat=True)
    ) == [0, 1]


def test_a_cancelled_event_closes_every_offer_and_pays_nothing():
    program = program_with(incremental_rules())
    owner = Owner(program)
    event = dispatch(program, START, END)
    offer = event.offers.get()
    operations.accept_offer(offer=offer, committed_kw=None, user=owner.user, now=BEFORE)

    operations.cancel_event(event=event, now=BEFORE)

    offer.refresh_from_db()
    event.refresh_from_db()
    assert offer.status == "CANCELLED"
    assert event.modification == 1
    with pytest.raises(operations.OfferClosed, match="cancelled"):
        operations.accept_offer(offer=offer, committed_kw=None, user=owner.user, now=BEFORE)
    with pytest.raises(operations.EventNotCompleted):
        operations.measure_event(event=event, now=END + dt.timedelta(days=1))
    assert operations.measure_completed_events(now=END + dt.timedelta(days=1)) == {
        "created": 0,
        "recomputed": 0,
        "unchanged": 0,
    }
    assert Delivery.objects.count() == 0


def test_a_started_event_cannot_be_modified_or_cancelled():
    program = program_with(incremental_rules())
    event = dispatch(program, START, END)

    with pytest.raises(operations.EventNotChangeable, match="is active"):
        operations.cancel_event(event=event, now=START)


def test_emails_for_a_new_offer_a_reminder_and_then_expiry():
    program = program_with(incremental_rules())
    Owner(program)
    event = dispatch(program, START, END, deadline=START - dt.timedelta(hours=1))
    deadline = event.response_deadline

    first = operations.send_offer_notices(now=deadline - dt.timedelta(hours=5))
    again = operations.send_offer_notices(now=deadline - dt.timedelta(hours=5))
    early = operations.send_reminders(now=deadline - dt.timedelta(hours=3))
    reminded = operations.send_reminders(now=deadline - dt.timedelta(hours=1))
    twice = operations.send_reminders(now=deadline - dt.timedelta(minutes=30))
    expired = operations.expire_offers(now=deadline + dt.timedelta(seconds=1))

    assert (first, again, early, reminded, twice, expired) == (1, 0, 0, 1, 0, 1)
    assert [m.subject for m in mail.outbox] == [
        "New offer: export on Tue 15 Jul 2025 for $2.00/kWh",
        "Reminder: answer your Program elrp offer by 16:00",
    ]
    assert "The most you can earn: $46.00" in mail.outbox[0].body
    assert "17:00 to 19:00 PDT (America/Los_Angeles)" in mail.outbox[0].body
    # The reminder's price through the formatter in the program's currency (was "$2.00").
    assert "at $2.00/kWh is still waiting for your answer" in mail.outbox[1].body
    assert Offer.objects.get().status == "EXPIRED"


def test_a_euro_programs_offer_emails_write_euros():
    program = program_with(incremental_rules())
    program.currency = "EUR"
    program.save(update_fields=["currency"])
    Owner(program)
    event = dispatch(program, START, END, deadline=START - dt.timedelta(hours=1))
    deadline = event.response_deadline

    operations.send_offer_notices(now=deadline - dt.timedelta(hours=5))
    operations.send_reminders(now=deadline - dt.timedelta(hours=1))

    # The same offer as above in euros: 11.5 kW x 2 h x 2.00 = 46.00.
    assert mail.outbox[0].subject == "New offer: export on Tue 15 Jul 2025 for €2.00/kWh"
    assert "The most you can earn: €46.00" in mail.outbox[0].body
    assert "at €2.00/kWh is still waiting for your answer" in mail.outbox[1].body
    assert not any("$" in m.subject + m.body for m in mail.outbox)


def test_the_program_rules_constrain_events_with_each_field_named():
    program = program_with(constraints_rules())
    november = local_hour(dt.date(2025, 11, 4), 15)

    with pytest.raises(constraints.EventInvalid) as raised:
        dispatch(program, november, november + dt.timedelta(hours=4), kind="ECONOMIC")

    assert {(p.field, p.reason) for p in raised.value.problems} == {
        ("kind", "elrp allows EMERGENCY, TEST events"),
        ("start", "November is outside the season (months 5, 6, 7, 8, 9, 10)"),
        ("start", "must be at or after 16:00 local time"),
        ("end", "the event lasts 240 minutes, more than 180"),
    }


def test_the_yearly_hour_cap_refuses_an_event_that_would_pass_it():
    program = program_with(constraints_rules())
    dispatch(program, START, START + dt.timedelta(hours=3))

    with pytest.raises(constraints.EventInvalid) as raised:
        dispatch(
            program, local_hour(dt.date(2025, 7, 16), 17), local_hour(dt.date(2025, 7, 16), 19)
        )

    assert (
        raised.value.problems[0].reason
        == "elrp has used 3 of its 4 event hours in 2025; this event needs 2"
    )


def test_general_checks_on_the_window_and_the_deadline():
    program = program_with(incremental_rules())

    with pytest.raises(constraints.EventInvalid) as raised:
        dispatch(
            program,
            START + dt.timedelta(minutes=30),
            START,
            deadline=START + dt.timedelta(hours=1),
            now=START + dt.timedelta(hours=1),
        )

    fields = [p.field for p in raised.value.problems]
    assert fields == ["end", "start", "start", "deadline"]


def test_a_program_without_a_pay_rule_cannot_dispatch():
    program = ProgramFactory(code="bare")

    with pytest.raises(constraints.EventInvalid) as raised:
        dispatch(program, START, END)

    assert raised.value.problems[0].as_dict() == {
        "field": "program",
        "reason": "bare has no rule paying events on 2025-07-15",
    }


def test_an_accepted_offer_over_the_fall_back_day_counts_four_hours():
    program = program_with(offer_rules(), code="v2g-offers")
    owner = Owner(program)
    fall_back = dt.date(2025, 11, 2)
    # 00:00 PDT to 03:00 PST: 07:00Z to 11:00Z, four real hours (01:00 happens twice).
    start = local_hour(fall_back, 0)
    end = local_hour(fall_back, 3)
    event = dispatch(program, start, end, price="0.50")
    offer = event.offers.get()
    operations.accept_offer(
        offer=offer, committed_kw=Decimal(6), user=owner.user, now=start - dt.timedelta(hours=3)
    )
    add_hours(owner.export, [(start + dt.timedelta(hours=n), 5000) for n in range(4)])

    operations.measure_event(event=event, now=end + dt.timedelta(days=1))

    delivery = Delivery.objects.get()
    assert (end - start) == dt.timedelta(hours=4)
    assert [h["local_hour"] for h in delivery.hours] == [0, 1, 1, 2]
    # 20 kWh delivered, commitment 6 kW x 4 h = 24 kWh: all paid, 20 x $0.50 = $10.00.
    assert (delivery.delivered_wh, delivery.amount) == (Decimal(20000), Decimal("10.00"))
    assert delivery.average_kw == Decimal(5)


def test_an_accepted_offer_with_a_commitment_shortfall():
    program = program_with(
        offer_rules(shortfall={"price_per_kwh": "0.25", "below_share": "0.9"}), code="v2g-offers"
    )
    owner = Owner(program)
    event = dispatch(program, START, END, price="0.50")
    offer = event.offers.get()
    operations.accept_offer(offer=offer, committed_kw=Decimal(5), user=owner.user, now=BEFORE)
    add_hours(owner.export, [(START, 4000), (START + dt.timedelta(hours=1), 4000)])

    operations.measure_event(event=event, now=END + dt.timedelta(days=1))

    delivery = Delivery.objects.get()
    # Commitment 5 kW x 2 h = 10 kWh; 0.9 x 10 = 9 kWh; delivered 8: shortfall 1 kWh x $0.25.
    # 8 kWh x $0.50 = $4.00 - $0.25 = $3.75.
    assert Decimal(delivery.inputs["commitment"]["shortfall_wh"]) == Decimal(1000)
    assert (delivery.amount, delivery.reason) == (Decimal("3.75"), "shortfall of 1.000 kWh charged")


def test_missing_readings_in_the_window_are_not_settleable():
    program = program_with(offer_rules(), code="v2g-offers")
    owner = Owner(program)
    event = dispatch(program, START, END, price="0.50")
    operations.accept_offer(
        offer=event.offers.get(), committed_kw=None, user=owner.user, now=BEFORE
    )
    add_hours(owner.export, [(START, 4000)])

    operations.measure_event(event=event, now=END + dt.timedelta(days=1))

    delivery = Delivery.objects.get()
    assert delivery.settleable is False
    assert delivery.reason == (
        "missing or unpaid (estimated) readings in the event hour 2025-07-15 18:00 PDT"
    )


def test_the_most_an_accepted_offer_can_earn_uses_the_committed_kw():
    # The charger can send 7.2 kW: open, the offer can earn 7.2 kW x 2 h x $2.00 = $28.80.
    # Accepted with 3.75 kW committed, delivery is capped at the commitment (docs/events.md):
    # 3.75 kW x 2 h x $2.00 = $15.00 is the most it can pay.
    program = program_with(incremental_rules())
    owner = Owner(program, max_kw=Decimal("7.2"))
    offer = dispatch(program, START, END).offers.get()
    assert offer.ceiling_amount == Decimal("28.80")

    operations.accept_offer(offer=offer, committed_kw=Decimal("3.75"), user=owner.user, now=BEFORE)

    offer.refresh_from_db()
    assert offer.ceiling_amount == Decimal("15.00")
    assert offer.worth["ceiling"] == "3.75 kW x 2 h x $2.00/kWh"
    assert offer.worth["max_kw"] == "3.75"
