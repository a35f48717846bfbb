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


def _answer_at_once(offer: Offer, owner: Owner, kinds: tuple[str, str]) -> list[str]:
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

    threads = [threading.Thread(target=answer, args=(kind,)) for kind in kinds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_the_same_answer_sent_twice_at_once_is_recorded_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections need PostgreSQL")
    program = program_with(incremental_rules())
    owner = Owner(program)
    offer = dispatch(program, START, START + dt.timedelta(hours=2)).offers.get()

    outcomes = _answer_at_once(offer, owner, ("accept", "accept"))

    assert sorted(outcomes) == ["accept: already answered", "accept: recorded"]
    response = OfferResponse.objects.get()
    assert (response.answer, response.committed_kw) == ("ACCEPT", Decimal(5))
    assert Offer.objects.get(pk=offer.pk).status == "ACCEPTED"


def test_two_different_answers_at_once_are_both_kept_and_the_later_counts():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections need PostgreSQL")
    program = program_with(incremental_rules())
    owner = Owner(program)
    offer = dispatch(program, START, START + dt.timedelta(hours=2)).offers.get()

    outcomes = _answer_at_once(offer, owner, ("accept", "decline"))

    assert sorted(outcomes) == ["accept: recorded", "decline: recorded"]
    # The row lock orders them: the second names the first in what it changed.
    first, second = OfferResponse.objects.order_by("pk")
    assert first.change == "first answer"
    assert second.change == f"{first.answer.lower()} -> {second.answer.lower()}"
    stored = Offer.objects.get(pk=offer.pk)
    assert stored.status == ("ACCEPTED" if second.answer == "ACCEPT" else "DECLINED")
