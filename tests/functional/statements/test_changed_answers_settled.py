"""A changed answer before the deadline is the one delivery and settlement use.

Program `offers` (America/Los_Angeles): exports by the TOU tariff of tests.settlement_fixtures
on the sub-meter, and ACCEPTED_OFFER at the event's price. The event: Tue 15 July 2025
17:00-19:00 PDT at $1.00/kWh, answer by 16:00 PDT. Both owners' chargers send 11.5 kW at most
and export 8 + 9 = 17 kWh in the event.
"""

import datetime as dt
from decimal import Decimal

import pytest

from settlement.events import operations as event_operations
from settlement.events.models import Delivery
from settlement.statements import periods
from settlement.statements.models import Statement
from settlement.statements.runs import operations
from tests.event_fixtures import Owner, add_hours, dispatch, local_hour
from tests.settlement_fixtures import LA, offer_program

pytestmark = pytest.mark.django_db

EVENT_DAY = dt.date(2025, 7, 15)
START, END = local_hour(EVENT_DAY, 17), local_hour(EVENT_DAY, 19)
DEADLINE = START - dt.timedelta(hours=1)
NOW = dt.datetime(2025, 8, 5, tzinfo=dt.UTC)


def _settle(program):
    run = operations.start_run(
        program=program,
        period=periods.month("2025-07", time_zone=LA),
        run_type="INITIAL",
        started_by=None,
        now=NOW,
    )
    return operations.settle_inline(run=run, now=NOW)


def _offer_amounts(run, owner: Owner) -> list[tuple[Decimal, Decimal]]:
    statement = Statement.objects.get(run=run, participant=owner.participant)
    return [(line.kwh, line.amount) for line in statement.lines.filter(kind="ACCEPTED_OFFER")]


def test_the_answer_changed_before_the_deadline_is_the_one_settled(staff_roles):
    program = offer_program()
    olivia = Owner(program, "olivia@example.com")
    noah = Owner(program, "noah@example.com")
    for owner in (olivia, noah):
        event_operations.create_standing_rule(
            participant=owner.participant,
            terms=event_operations.StandingTerms(name="any evening", min_price_per_kwh=Decimal(1)),
            user=owner.user,
            now=START - dt.timedelta(days=10),
        )
        add_hours(owner.export, [(START, 8000), (START + dt.timedelta(hours=1), 9000)])
    event = dispatch(program, START, END, price="1.00", deadline=DEADLINE)
    olivia_offer = event.offers.get(participant=olivia.participant)
    noah_offer = event.offers.get(participant=noah.participant)
    # The rule accepted both at the charger's 11.5 kW (23 kWh over 2 hours).
    assert (olivia_offer.status, olivia_offer.committed_kw) == ("ACCEPTED", Decimal("11.500"))

    # Before the deadline Olivia lowers her commitment to 5 kW; Noah declines.
    event_operations.accept_offer(
        offer=olivia_offer,
        committed_kw=Decimal(5),
        user=olivia.user,
        now=DEADLINE - dt.timedelta(minutes=5),
    )
    event_operations.decline_offer(
        offer=noah_offer, user=noah.user, now=DEADLINE - dt.timedelta(minutes=5)
    )
    # After it, Olivia's try to go back to 11.5 kW is refused and changes nothing.
    with pytest.raises(event_operations.OfferClosed) as raised:
        event_operations.accept_offer(
            offer=olivia_offer,
            committed_kw=Decimal("11.5"),
            user=olivia.user,
            now=DEADLINE + dt.timedelta(seconds=1),
        )
    assert raised.value.http_status == 409

    event_operations.measure_event(event=event, now=NOW)
    run = _settle(program)

    # Olivia: 17 kWh delivered, paid up to 5 kW x 2 h = 10 kWh x $1.00 = $10.00 (with the
    # rule's 11.5 kW it would have been 17 kWh x $1.00 = $17.00).
    delivery = Delivery.objects.get(offer=olivia_offer, superseded_at__isnull=True)
    assert delivery.inputs["commitment"]["committed_kw"] == "5.000"
    assert _offer_amounts(run, olivia) == [(Decimal("10.000"), Decimal("10.00"))]
    # Noah declined last: no offer line, though the rule had accepted for him.
    assert _offer_amounts(run, noah) == []
    assert list(olivia_offer.responses.order_by("pk").values_list("change", flat=True)) == [
        "first answer",
        "11.5 kW -> 5 kW",
    ]
