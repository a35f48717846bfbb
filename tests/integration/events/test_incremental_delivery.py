"""Delivery under EVENT_INCREMENTAL, worked out by hand from the rule text.

The program pays $2/kWh for net load below a 3-of-3 weekday baseline, adjusted by the
actual/baseline ratio of the 2 hours before the event, bounded to 1.00-1.40. The event is
Tuesday 15 July 2025, 17:00-19:00 PDT. Baseline weekdays: Mon 14, Fri 11, Thu 10 July (the
weekend of 12-13 is the other pool). On those days the charger imports 1000 Wh every hour,
except at 17:00: 1200, 1500 and 1800 Wh. So the baseline is 17:00 -> 1500 Wh, 18:00 -> 1000,
15:00 and 16:00 -> 1000 each.
"""

import datetime as dt
from decimal import Decimal

import pytest

from settlement.events import operations
from settlement.events.models import Delivery
from settlement.metering.models import Reading
from tests.event_fixtures import (
    Owner,
    add_day,
    add_hours,
    dispatch,
    incremental_rules,
    local_hour,
    program_with,
)

pytestmark = pytest.mark.django_db

EVENT_DAY = dt.date(2025, 7, 15)
BASELINE_DAYS = {dt.date(2025, 7, 14): 1200, dt.date(2025, 7, 11): 1500, dt.date(2025, 7, 10): 1800}
AFTER = dt.datetime(2025, 7, 20, tzinfo=dt.UTC)


def given_history(owner: Owner, days=BASELINE_DAYS) -> None:
    for day, at_five in days.items():
        add_day(owner.import_, day, wh=1000, h17=at_five)
        add_day(owner.export, day, wh=0)


def given_event_day(owner: Owner, *, before=1500, export17=8000, export18=9000, import18=0) -> None:
    # 15:00 and 16:00 import `before` each (the adjustment hours), then the event.
    add_hours(
        owner.import_, [(local_hour(EVENT_DAY, 15), before), (local_hour(EVENT_DAY, 16), before)]
    )
    add_hours(
        owner.import_, [(local_hour(EVENT_DAY, 17), 0), (local_hour(EVENT_DAY, 18), import18)]
    )
    add_hours(
        owner.export, [(local_hour(EVENT_DAY, 17), export17), (local_hour(EVENT_DAY, 18), export18)]
    )


def accepted_event(program, owner, **kwargs):
    event = dispatch(program, local_hour(EVENT_DAY, 17), local_hour(EVENT_DAY, 19), **kwargs)
    offer = event.offers.get()
    operations.accept_offer(
        offer=offer, committed_kw=None, user=owner.user, now=event.starts_at - dt.timedelta(hours=2)
    )
    return event, offer


def test_a_two_hour_event_with_the_adjustment_at_its_upper_bound():
    program = program_with(incremental_rules())
    owner = Owner(program)
    given_history(owner)
    given_event_day(owner)
    event, offer = accepted_event(program, owner)

    counts = operations.measure_event(event=event, now=AFTER)

    delivery = Delivery.objects.get(offer=offer)
    # Adjustment: 15:00 + 16:00 actual 3000 / baseline 2000 = 1.5, bounded to 1.40.
    assert delivery.inputs["adjustment"] == {
        "hours": [15, 16],
        "actual_wh": "3000",
        "baseline_wh": "2000",
        "ratio": "1.5",
        "factor": "1.40",
    }
    assert delivery.inputs["baseline"]["days"] == ["2025-07-10", "2025-07-11", "2025-07-14"]
    # Adjusted baseline 17:00: 1500 x 1.4 = 2100; 18:00: 1000 x 1.4 = 1400.
    # Net load: -8000 and -9000 (export). Incremental 2100 + 8000 = 10100, 1400 + 9000 = 10400.
    assert [
        (h["local_hour"], Decimal(h["baseline_wh"]), Decimal(h["actual_wh"]), Decimal(h["paid_wh"]))
        for h in delivery.hours
    ] == [
        (17, Decimal(2100), Decimal(-8000), Decimal(10100)),
        (18, Decimal(1400), Decimal(-9000), Decimal(10400)),
    ]
    # 20.5 kWh x $2 = $41.00.
    assert (delivery.incremental_wh, delivery.baseline_wh, delivery.delivered_wh) == (
        Decimal(20500),
        Decimal(3500),
        Decimal(17000),
    )
    assert (delivery.settleable, delivery.amount, delivery.reason) == (True, Decimal("41.00"), "")
    assert counts == {"created": 1, "recomputed": 0, "unchanged": 0}
    # The readings are kept by natural key: (channel, start, revision).
    assert [owner.export.pk, local_hour(EVENT_DAY, 17).isoformat(), 1] in delivery.inputs[
        "readings"
    ]
    assert delivery.inputs["rule"]["version"] == 1


def test_too_few_baseline_days_is_not_settleable_and_says_why():
    program = program_with(incremental_rules())
    owner = Owner(program)
    given_history(owner, {d: v for d, v in BASELINE_DAYS.items() if d != dt.date(2025, 7, 10)})
    given_event_day(owner)
    event, offer = accepted_event(program, owner)

    operations.measure_event(event=event, now=AFTER)

    delivery = Delivery.objects.get(offer=offer)
    assert delivery.settleable is False
    assert delivery.reason == "only 2 eligible weekday baseline days, 3 required"
    assert delivery.amount == Decimal("0.00")
    # The days looked at and why they were not used are part of the record.
    skipped = {s["day"]: s["reason"] for s in delivery.inputs["baseline"]["skipped"]}
    assert skipped["2025-07-10"] == "100% of its data missing or estimated (more than 10%)"


def test_an_hour_that_imported_more_than_the_baseline_is_paid_zero_not_negative():
    program = program_with(incremental_rules())
    owner = Owner(program)
    given_history(owner)
    # 18:00: no export and 3000 Wh import, above the adjusted baseline of 1400.
    given_event_day(owner, export18=0, import18=3000)
    event, offer = accepted_event(program, owner)

    operations.measure_event(event=event, now=AFTER)

    delivery = Delivery.objects.get(offer=offer)
    assert [Decimal(h["incremental_wh"]) for h in delivery.hours] == [
        Decimal(10100),
        Decimal(-1600),
    ]
    assert [Decimal(h["paid_wh"]) for h in delivery.hours] == [Decimal(10100), Decimal(0)]
    # 10.1 kWh x $2 = $20.20.
    assert delivery.amount == Decimal("20.20")


def test_offsetting_hours_net_the_negative_hour_against_the_positive_one():
    program = program_with(incremental_rules(negative_hours="OFFSET"))
    owner = Owner(program)
    given_history(owner)
    given_event_day(owner, export18=0, import18=3000)
    event, offer = accepted_event(program, owner)

    operations.measure_event(event=event, now=AFTER)

    # 10100 - 1600 = 8500 Wh = 8.5 kWh x $2 = $17.00.
    assert Delivery.objects.get(offer=offer).amount == Decimal("17.00")


@pytest.mark.parametrize(
    ("pay_test_events", "amount", "reason"),
    [(False, "0.00", "test event: not paid"), (True, "41.00", "")],
)
def test_a_test_event_under_both_settings(pay_test_events, amount, reason):
    program = program_with(incremental_rules(pay_test_events=pay_test_events))
    owner = Owner(program)
    given_history(owner)
    given_event_day(owner)
    event, offer = accepted_event(program, owner, kind="TEST")

    operations.measure_event(event=event, now=AFTER)

    delivery = Delivery.objects.get(offer=offer)
    assert (delivery.amount, delivery.reason) == (Decimal(amount), reason)


def test_a_declined_offer_is_measured_but_owed_nothing():
    program = program_with(incremental_rules())
    owner = Owner(program)
    given_history(owner)
    given_event_day(owner)
    event = dispatch(program, local_hour(EVENT_DAY, 17), local_hour(EVENT_DAY, 19))
    offer = event.offers.get()
    operations.decline_offer(
        offer=offer, user=owner.user, now=event.starts_at - dt.timedelta(hours=2)
    )

    operations.measure_event(event=event, now=AFTER)

    delivery = Delivery.objects.get(offer=offer)
    assert (delivery.incremental_wh, delivery.amount) == (Decimal(20500), Decimal("0.00"))
    assert delivery.reason == "not accepted (declined): nothing is due"


def test_a_revised_reading_recomputes_the_delivery_and_keeps_the_old_one():
    program = program_with(incremental_rules())
    owner = Owner(program)
    given_history(owner)
    given_event_day(owner)
    event, offer = accepted_event(program, owner)
    operations.measure_event(event=event, now=AFTER)
    first = Delivery.objects.get(offer=offer)

    # The 18:00 export is revised from 9000 to 6000 Wh (revision 2).
    Reading.objects.filter(channel=owner.export, start=local_hour(EVENT_DAY, 18)).update(
        wh=6000, revision=2
    )
    later = AFTER + dt.timedelta(days=1)
    counts = operations.measure_event(event=event, now=later)
    again = operations.measure_event(event=event, now=later)

    first.refresh_from_db()
    current = Delivery.objects.get(offer=offer, superseded_at__isnull=True)
    assert counts == {"created": 0, "recomputed": 1, "unchanged": 0}
    assert again == {"created": 0, "recomputed": 0, "unchanged": 1}
    assert (first.amount, first.superseded_at) == (Decimal("41.00"), later)
    # 10100 + (1400 + 6000) = 17500 Wh = $35.00.
    assert current.amount == Decimal("35.00")
    assert [owner.export.pk, local_hour(EVENT_DAY, 18).isoformat(), 2] in current.inputs["readings"]


def test_delivery_is_not_measured_before_the_event_ends():
    program = program_with(incremental_rules())
    owner = Owner(program)
    event, _ = accepted_event(program, owner)

    with pytest.raises(operations.EventNotCompleted):
        operations.measure_event(event=event, now=event.starts_at)

    assert Delivery.objects.count() == 0
