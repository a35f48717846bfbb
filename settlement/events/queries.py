"""Reads of events and offers, and the one place that decides who may see which.

An owner reaches an offer only through `access_offer_for_user` (404 for anyone else's);
staff reach events through `access_event_for_staff`.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db.models import F, Prefetch, Q, QuerySet

from accounts import queries as account_queries
from accounts.models import User
from settlement.errors import NotFound, PermissionDenied
from settlement.events.models import Delivery, DispatchEvent, Offer

ADMINISTER_PROGRAM = "accounts.administer_program"


class OfferNotFound(NotFound):
    """No offer with this id is addressed to the caller."""

    code = "offer_not_found"


class EventNotFound(NotFound):
    """No event has this id."""

    code = "event_not_found"


class NotProgramAdministrator(PermissionDenied):
    """Only program administrators create, modify and cancel events."""

    code = "not_program_administrator"


class EventStatus(StrEnum):
    """Where an event stands at a given instant (OpenADR: far/near collapse to scheduled)."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


def event_status(event: DispatchEvent, *, now: datetime) -> EventStatus:
    """Return the event's status at `now`, from its window and cancellation."""
    if event.cancelled_at is not None:
        return EventStatus.CANCELLED
    if now < event.starts_at:
        return EventStatus.SCHEDULED
    if now < event.ends_at:
        return EventStatus.ACTIVE
    return EventStatus.COMPLETED


def _current_delivery() -> Prefetch[str]:
    return Prefetch(
        "deliveries",
        queryset=Delivery.objects.filter(superseded_at__isnull=True),
        to_attr="current_deliveries",
    )


def current_delivery(offer: Offer) -> Delivery | None:
    """Return the offer's current delivery (prefetched by the list queries), or None."""
    found = getattr(offer, "current_deliveries", None)
    if found is None:
        found = list(offer.deliveries.filter(superseded_at__isnull=True))
    return found[0] if found else None


def offers_for_user(*, user: User) -> QuerySet[Offer]:
    """Return the offers to the participants `user` acts for, newest event first.

    Events, programs and current deliveries come along, so a page lists any number of
    offers in a fixed number of queries.
    """
    return (
        Offer.objects.filter(participant__in=account_queries.participants_of(user=user))
        .select_related("event", "event__program", "participant", "rule_version")
        .prefetch_related(_current_delivery())
        .order_by("-event__starts_at", "pk")
    )


def open_offers(offers: QuerySet[Offer], *, now: datetime) -> QuerySet[Offer]:
    """Return those of `offers` still waiting for an answer whose deadline has not passed."""
    return offers.filter(
        status__in=[Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION],
        event__response_deadline__gt=now,
        event__cancelled_at__isnull=True,
    )


def answer_changeable(offer: Offer, *, now: datetime) -> bool:
    """Return whether the offer may still be answered (or its answer changed) at `now`:
    before its deadline, not cancelled and not expired."""
    return (
        offer.event.cancelled_at is None
        and offer.status not in (Offer.Status.CANCELLED, Offer.Status.EXPIRED)
        and now <= offer.event.response_deadline
    )


def access_offer_for_user(*, user: User, offer_id: int) -> Offer:
    """Return offer `offer_id` if it is addressed to a participant `user` acts for.

    Raises OfferNotFound otherwise, whether or not the offer exists.
    """
    offer = offers_for_user(user=user).filter(pk=offer_id).first()
    if offer is None:
        raise OfferNotFound(f"no offer {offer_id}", details={"field": "offer_id"})
    return offer


def is_program_administrator(*, user: User) -> bool:
    """Return whether `user` is staff allowed to administer programs."""
    return account_queries.is_staff_user(user=user) and user.has_perm(ADMINISTER_PROGRAM)


def require_program_administrator(*, user: User) -> None:
    """Raise NotProgramAdministrator unless `user` administers programs."""
    if not is_program_administrator(user=user):
        raise NotProgramAdministrator("only program administrators manage events")


def events_for_staff() -> QuerySet[DispatchEvent]:
    """Return every event, newest first, with its program."""
    return DispatchEvent.objects.select_related("program").order_by("-starts_at", "-pk")


def access_event_for_staff(*, user: User, event_id: int) -> DispatchEvent:
    """Return event `event_id` for a staff user; raises EventNotFound (also for non-staff)."""
    event = (
        events_for_staff().filter(pk=event_id).first()
        if account_queries.is_staff_user(user=user)
        else None
    )
    if event is None:
        raise EventNotFound(f"no event {event_id}", details={"field": "event_id"})
    return event


def offers_of_event(*, event: DispatchEvent) -> QuerySet[Offer]:
    """Return the event's offers with participant, enrollment site and current delivery."""
    return (
        Offer.objects.filter(event=event)
        .select_related("participant", "enrollment__site", "event__program")
        .prefetch_related(_current_delivery())
        .order_by("participant__email", "pk")
    )


@dataclass(frozen=True)
class EventTotals:
    """Counts and sums of one event's offers (the staff results header)."""

    offered: int
    accepted: int
    declined: int
    unanswered: int
    delivered_wh: Decimal
    amount: Decimal

    @property
    def delivered_kwh(self) -> Decimal:
        """The delivered energy in kWh, exact (a page rounds it as it shows it)."""
        return self.delivered_wh / 1000


def totals(offers: list[Offer]) -> EventTotals:
    """Return the totals of an event's offers (already loaded, with their deliveries)."""
    deliveries = [d for d in (current_delivery(o) for o in offers) if d is not None]
    return EventTotals(
        offered=len(offers),
        accepted=sum(o.status == Offer.Status.ACCEPTED for o in offers),
        declined=sum(o.status == Offer.Status.DECLINED for o in offers),
        unanswered=sum(
            o.status in (Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION, Offer.Status.EXPIRED)
            for o in offers
        ),
        delivered_wh=sum((d.delivered_wh or Decimal(0) for d in deliveries), Decimal(0)),
        amount=sum((d.amount for d in deliveries), Decimal("0.00")),
    )


def past_deliveries_of(*, offer: Offer) -> QuerySet[Delivery]:
    """Return the current deliveries of the same enrollment in earlier events of the program."""
    return Delivery.objects.filter(
        superseded_at__isnull=True,
        settleable=True,
        offer__enrollment_id=offer.enrollment_id,
        offer__event__ends_at__lte=offer.event.starts_at,
        offer__event__cancelled_at__isnull=True,
    ).select_related("offer__event")


def hours_used_in_year(*, enrollment_id: int, year_start: datetime, year_end: datetime) -> float:
    """Return the event hours the enrollment was offered (not declined) in [start, end)."""
    offers = Offer.objects.filter(
        enrollment_id=enrollment_id,
        event__starts_at__gte=year_start,
        event__starts_at__lt=year_end,
        event__cancelled_at__isnull=True,
    ).exclude(status=Offer.Status.DECLINED)
    return sum(
        (o.event.ends_at - o.event.starts_at).total_seconds() / 3600
        for o in offers.select_related("event")
    )


def events_in_year(
    *, program_id: int, year_start: datetime, year_end: datetime
) -> QuerySet[DispatchEvent]:
    """Return the program's events not cancelled starting in [year_start, year_end)."""
    return DispatchEvent.objects.filter(
        program_id=program_id,
        starts_at__gte=year_start,
        starts_at__lt=year_end,
        cancelled_at__isnull=True,
    )


def offers_due_a_notice() -> QuerySet[Offer]:
    """Return offers whose owner has not been told about the event's latest version: open
    ones, and those a standing rule answered (the email names the rule)."""
    return (
        Offer.objects.filter(
            Q(status__in=[Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION])
            | Q(
                status__in=[Offer.Status.ACCEPTED, Offer.Status.DECLINED],
                rule_version__isnull=False,
            ),
            event__cancelled_at__isnull=True,
        )
        .filter(
            Q(notified_modification__isnull=True)
            | ~Q(notified_modification=F("event__modification"))
        )
        .select_related("event", "event__program", "participant", "rule_version")
    )


KWH = Decimal("0.001")


def _kwh(wh: Decimal | None) -> str | None:
    return None if wh is None else str((wh / 1000).quantize(KWH))


@dataclass(frozen=True)
class ParticipantResult:
    """One participant's line of an event's results (the `event_results` JSON)."""

    offer: Offer
    delivery: Delivery | None

    def as_dict(self) -> dict[str, object]:
        """Return the documented keys; energies as kWh strings, the amount in currency."""
        delivery = self.delivery
        if delivery is None:
            cancelled = self.offer.status == Offer.Status.CANCELLED
            return {
                "participant_email": self.offer.participant.email,
                "response": self.offer.status.lower(),
                "baseline_kwh": None,
                "delivered_kwh": None,
                "incremental_kwh": None,
                "amount": "0.00",
                "settleable": False,
                "reason": "event cancelled: nothing is paid"
                if cancelled
                else "not measured yet (after the event ends)",
                "measured_at": None,
                "readings": None,
            }
        return {
            "participant_email": self.offer.participant.email,
            "response": self.offer.status.lower(),
            "baseline_kwh": _kwh(delivery.baseline_wh),
            "delivered_kwh": _kwh(delivery.delivered_wh),
            "incremental_kwh": _kwh(delivery.incremental_wh),
            "amount": str(delivery.amount),
            "settleable": delivery.settleable,
            "reason": delivery.reason,
            "measured_at": delivery.computed_at.isoformat(),
            "readings": readings_used(delivery=delivery),
        }


def readings_used(*, delivery: Delivery) -> dict[str, object]:
    """Return which readings a delivery was measured from: how many, their first and last
    interval starts (UTC), and the sha256 of their keys (channel, start, revision), which
    changes when any of them is revised."""
    keys = delivery.inputs.get("readings") or []
    starts = sorted(str(key[1]) for key in keys)
    return {
        "count": len(keys),
        "first_start": starts[0] if starts else None,
        "last_start": starts[-1] if starts else None,
        "sha256": delivery.readings_sha256,
    }


def participant_results(*, offers: list[Offer]) -> list[ParticipantResult]:
    """Return one result per offer (loaded by `offers_of_event`), in participant order."""
    return [ParticipantResult(offer, current_delivery(offer)) for offer in offers]


def localize(value: datetime, *, time_zone: str) -> datetime:
    """Return `value` as an aware instant: a naive value is wall-clock time in `time_zone`."""
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(time_zone))


def event_by_id(*, event_id: int) -> DispatchEvent:
    """Return event `event_id` for an operator at the console; raises EventNotFound."""
    event = events_for_staff().filter(pk=event_id).first()
    if event is None:
        raise EventNotFound(f"no event {event_id}", details={"field": "event"})
    return event
