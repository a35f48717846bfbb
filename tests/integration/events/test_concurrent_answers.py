"""Two answers to one offer at the same instant, on two real PostgreSQL connections."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from settlement.events import operations
from settlement.events.models import Offer, OfferResponse
from tests.event_fixtures import Owner, dispatch, incremental_rules, local_hour, program_with

pytestmark = pytest.mark.django_db(transaction=True)

START = local_hour(dt.date(2025, 7, 15), 17)


def test_two_simultaneous_answers_leave_exactly_one_recorded():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections need PostgreSQL")
    program = program_with(incremental_rules())
    owner = Owner(program)
    offer = dispatch(program, START, START + dt.timedelta(hours=2)).offers.get()
    now = START - dt.timedelta(hours=3)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(kind: str) -> None:
        # Each thread has its own database connection.
        try:
            barrier.wait(timeout=10)
            if kind == "accept":
                operations.accept_offer(
                    offer=offer, committed_kw=Decimal(5), user=owner.user, now=now
                )
            else:
                operations.decline_offer(offer=offer, user=owner.user, now=now)
            outcomes.append(f"{kind}: recorded")
        except operations.AlreadyAnswered:
            outcomes.append(f"{kind}: already answered")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(kind,)) for kind in ("accept", "decline")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(o.split(": ")[1] for o in outcomes) == ["already answered", "recorded"]
    response = OfferResponse.objects.get()
    stored = Offer.objects.get(pk=offer.pk)
    winner = "ACCEPTED" if response.answer == "ACCEPT" else "DECLINED"
    assert stored.status == winner
    assert f"{response.answer.lower()}: recorded" in outcomes
