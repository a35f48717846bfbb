"""Writes of events: dispatch, modify, cancel, answer offers, expire them, measure delivery."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from django.db import IntegrityError, transaction

from accounts import access
from accounts.models import Program, User
from settlement.errors import DomainError
from settlement.events import constraints, delivery, eligibility, notifications, queries
from settlement.events.models import Delivery, DispatchEvent, Offer, OfferResponse
from settlement.outcomes import Outcome
from settlement.programs import queries as program_queries
from settlement.programs import rules

# How long before the deadline the reminder goes out.
REMINDER_BEFORE = timedelta(hours=2)
# Deliveries are recomputed for late or revised readings this long after an event.
RECOMPUTE_FOR = timedelta(days=60)


class EventNotChangeable(DomainError):
    """The event has started, ended or been cancelled: it can no longer change."""

    code = "event_not_changeable"
    http_status = 409


class OfferClosed(DomainError):
    """The offer can no longer be answered (cancelled, expired, or past its deadline)."""

    code = "offer_closed"
    http_status = 409


class AlreadyAnswered(DomainError):
    """This version of the event was already answered; the first answer stands."""

    code = "offer_already_answered"
    http_status = 409


class CommitmentInvalid(DomainError):
    """The committed kW is not a finite positive number of at most 3 decimals within the
    charger's maximum."""

    code = "commitment_invalid"


class CommitmentAboveMaximum(CommitmentInvalid):
    """A well-formed commitment above the participant's charger maximum: it conflicts with
    what the enrollment says (409), where a malformed one is a 400."""

    http_status = 409


# What the column holds: 10 digits, 3 of them decimals.
KW_STEP: Final = Decimal("0.001")
LARGEST_KW: Final = Decimal("9999999.999")


def validate_commitment(*, committed_kw: Decimal, max_kw: Decimal | None) -> Decimal:
    """Return `committed_kw` if an offer may be accepted with it; raise CommitmentInvalid.

    The one check of a commitment, whatever sent it (page, API): finite, above 0, at most
    the charger's maximum, and at most 3 decimals. A finer value is refused, not rounded:
    0.0005 kW stored as 0.001 kW would commit the owner to something they did not type.
    """

    def refuse(
        reason: str, error: type[CommitmentInvalid] = CommitmentInvalid, **context: str
    ) -> CommitmentInvalid:
        return error(f"committed_kw: {reason}", details={"field": "committed_kw", **context})

    if not committed_kw.is_finite():
        raise refuse(f"{committed_kw} is not a number of kW")
    if committed_kw <= 0:
        raise refuse("must be greater than 0")
    ceiling = max_kw if max_kw is not None else LARGEST_KW
    if committed_kw > ceiling:
        raise refuse(
            f"{committed_kw} is above the charger maximum {eligibility.kw_text(ceiling)} kW",
            CommitmentAboveMaximum,
            max_kw=str(ceiling),
        )
    if committed_kw != committed_kw.quantize(KW_STEP):
        raise refuse(f"{committed_kw} has more than 3 decimals")
    return committed_kw


class EventNotCompleted(DomainError):
    """Delivery is measured once the event is over, and never for a cancelled event."""

    code = "event_not_completed"
    http_status = 409


@dataclass(frozen=True)
class EventTerms:
    """What an administrator asks for: the window (UTC), kind, signal and deadline."""

    starts_at: datetime
    ends_at: datetime
    response_deadline: datetime
    kind: str
    price_per_kwh: Decimal
    target_kw: Decimal | None = None
    signal: str = DispatchEvent.Signal.EXPORT_PRICE


def _window(terms: EventTerms) -> constraints.Window:
    return constraints.Window(
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        response_deadline=terms.response_deadline,
        kind=terms.kind,
        price_per_kwh=terms.price_per_kwh,
        target_kw=terms.target_kw,
    )


def _price_offer(offer: Offer, in_force: program_queries.RulesInForce) -> None:
    worth = eligibility.worth(offer=offer, in_force=in_force)
    offer.ceiling_amount = worth.ceiling
    offer.estimate_amount = worth.estimate
    offer.worth = worth.explanation


def _check_targets(*, program: Program, targets: frozenset[str]) -> None:
    if not targets:
        raise constraints.EventInvalid(
            [rules.Problem(field="targets", reason="name at least one meter or charger")]
        )
    sites = eligibility.targeted_sites(program_id=program.pk, targets=targets)
    unknown = sorted(target for target, found in sites.items() if not found)
    if unknown:
        raise constraints.EventInvalid(
            [
                rules.Problem(
                    field="targets",
                    reason=f"no meter or charger enrolled in {program.code}: " + ", ".join(unknown),
                )
            ]
        )


def create_event(
    *,
    program: Program,
    terms: EventTerms,
    created_by: User | None,
    now: datetime,
    targets: frozenset[str] | None = None,
) -> DispatchEvent:
    """Return a new event and an offer for each eligible enrollment.

    `targets` (meter ids or charger ids, as OpenADR targets them) restrict the offers to
    the eligible enrollments at the sites they name; None offers to every eligible one.
    Raises EventInvalid (naming every field the program's rules refuse, and any target
    naming no site enrolled in the program: a typo must not silently offer to nobody).
    """
    in_force = constraints.check(program=program, window=_window(terms), now=now)
    if targets is not None:
        _check_targets(program=program, targets=targets)
    with transaction.atomic():
        event = DispatchEvent.objects.create(
            program=program,
            kind=terms.kind,
            signal=terms.signal,
            price_per_kwh=terms.price_per_kwh,
            target_kw=terms.target_kw,
            starts_at=terms.starts_at,
            ends_at=terms.ends_at,
            response_deadline=terms.response_deadline,
            created_by=created_by,
            created_at=now,
            modified_at=now,
        )
        for found in eligibility.eligible_enrollments(
            event=event, in_force=in_force, targets=targets
        ):
            offer = Offer(
                event=event,
                enrollment=found.enrollment,
                participant=found.enrollment.participant,
                channel_kind=found.channel_kind,
                max_kw=found.max_kw,
                created_at=now,
            )
            _price_offer(offer, in_force)
            offer.save()
    return event


def _locked_event(event: DispatchEvent, now: datetime) -> DispatchEvent:
    locked = DispatchEvent.objects.select_for_update().select_related("program").get(pk=event.pk)
    if queries.event_status(locked, now=now) is not queries.EventStatus.SCHEDULED:
        status = queries.event_status(locked, now=now).value
        raise EventNotChangeable(
            f"event {locked.pk} is {status}: it can no longer change",
            details={"field": "event_id", "status": status},
        )
    return locked


def modify_event(*, event: DispatchEvent, terms: EventTerms, now: datetime) -> DispatchEvent:
    """Return the event with new terms and its modification number bumped.

    Accepted offers go back to NEEDS_CONFIRMATION (the owner is told and must confirm);
    open offers stay open with their worth recomputed. Raises EventNotChangeable or
    EventInvalid.
    """
    with transaction.atomic():
        event = _locked_event(event, now)
        in_force = constraints.check(
            program=event.program, window=_window(terms), now=now, ignore_event_id=event.pk
        )
        event.starts_at, event.ends_at = terms.starts_at, terms.ends_at
        event.response_deadline = terms.response_deadline
        event.kind, event.signal = terms.kind, terms.signal
        event.price_per_kwh, event.target_kw = terms.price_per_kwh, terms.target_kw
        event.modification += 1
        event.modified_at = now
        event.save()
        for offer in (
            Offer.objects.select_for_update()
            .filter(event=event)
            .select_related("event__program", "enrollment")
        ):
            if offer.status == Offer.Status.ACCEPTED:
                offer.status = Offer.Status.NEEDS_CONFIRMATION
            offer.event = event
            _price_offer(offer, in_force)
            offer.save()
    return event


def cancel_event(*, event: DispatchEvent, now: datetime) -> DispatchEvent:
    """Return the event cancelled: every offer closed, nothing will be paid.

    Raises EventNotChangeable once the event has started or was already cancelled.
    """
    with transaction.atomic():
        event = _locked_event(event, now)
        event.cancelled_at = now
        event.modification += 1
        event.modified_at = now
        event.save(update_fields=["cancelled_at", "modification", "modified_at"])
        Offer.objects.filter(event=event).update(status=Offer.Status.CANCELLED)
        cancelled = list(
            Offer.objects.filter(event=event).select_related("event__program", "participant")
        )
        transaction.on_commit(lambda: notifications.send_cancellations(offers=cancelled))
    return event


def _answer(
    *,
    offer: Offer,
    answer: str,
    committed_kw: Decimal | None,
    user: User,
    now: datetime,
) -> Offer:
    # Every answer, from the page, the API or anything later, commits the participant: only
    # those who may act for it may give one (a viewer reads the offer, never answers it).
    access.require_may_act_for(user=user, participant=offer.participant)
    with transaction.atomic():
        # The row lock serializes two answers sent at once; the unique (offer, modification)
        # constraint keeps one even without it.
        offer = (
            Offer.objects.select_for_update()
            .select_related("event", "event__program")
            .get(pk=offer.pk)
        )
        event = offer.event
        zone_deadline = event.response_deadline
        if event.cancelled_at is not None or offer.status == Offer.Status.CANCELLED:
            raise OfferClosed("the event was cancelled", details={"field": "offer_id"})
        if now > zone_deadline:
            raise OfferClosed(
                f"the deadline to answer passed at {zone_deadline.isoformat()}",
                details={"field": "offer_id", "deadline": zone_deadline.isoformat()},
            )
        if offer.status not in (Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION):
            raise AlreadyAnswered(
                f"this offer is already {offer.get_status_display().lower()}",
                details={"field": "offer_id", "status": offer.status},
            )
        if committed_kw is not None:
            committed_kw = validate_commitment(committed_kw=committed_kw, max_kw=offer.max_kw)
        try:
            with transaction.atomic():
                OfferResponse.objects.create(
                    offer=offer,
                    modification=event.modification,
                    answer=answer,
                    committed_kw=committed_kw,
                    responded_by=user,
                    responded_at=now,
                )
        except IntegrityError:
            raise AlreadyAnswered(
                "this version of the event was already answered",
                details={"field": "offer_id", "modification": event.modification},
            ) from None
        offer.status = (
            Offer.Status.ACCEPTED
            if answer == OfferResponse.Answer.ACCEPT
            else Offer.Status.DECLINED
        )
        offer.committed_kw = committed_kw
        offer.modification = event.modification
        offer.responded_at = now
        fields = ["status", "committed_kw", "modification", "responded_at"]
        # A commitment caps what the offer can pay (docs/events.md), so the most it can earn
        # is recomputed with it (and back at the charger maximum when none is given). The
        # event was accepted under rules in force on its date; none found keeps the stored
        # worth, which create_event computed under them.
        in_force = eligibility.rules_of_event(event=event)
        if in_force is not None:
            _price_offer(offer, in_force)
            fields += ["ceiling_amount", "estimate_amount", "worth"]
        offer.save(update_fields=fields)
        return offer


def accept_offer(*, offer: Offer, committed_kw: Decimal | None, user: User, now: datetime) -> Offer:
    """Return the offer accepted for the event's current modification.

    Raises MayNotAct (403) unless `user` may act for the offer's participant, OfferClosed
    (cancelled or past the deadline), AlreadyAnswered or CommitmentInvalid (not above 0, or
    above the charger's maximum).
    """
    return _answer(
        offer=offer,
        answer=OfferResponse.Answer.ACCEPT,
        committed_kw=committed_kw,
        user=user,
        now=now,
    )


def decline_offer(*, offer: Offer, user: User, now: datetime) -> Offer:
    """Return the offer declined; raises MayNotAct, OfferClosed or AlreadyAnswered."""
    return _answer(
        offer=offer, answer=OfferResponse.Answer.DECLINE, committed_kw=None, user=user, now=now
    )


# What measuring an offer can do: a delivery is never "updated" in place, it is recomputed.
MEASURE_OUTCOMES = (Outcome.CREATED, Outcome.RECOMPUTED, Outcome.UNCHANGED)


def measure_event(
    *, event: DispatchEvent, now: datetime, requested_by: User | None = None
) -> dict[str, int]:
    """Compute (or recompute) every offer's delivery for a completed event.

    A stored delivery whose readings (by channel, start and revision) and rule version are
    unchanged is kept; otherwise the new computation supersedes it. Returns counts per
    outcome. Any completed event may be measured, however old: only the schedule's own pass
    (`measure_completed_events`) is limited to recent events. `requested_by` is the staff
    member asking from a page or the API, who must administer programs (None: the schedule,
    or a command run by whoever operates the server). Raises NotProgramAdministrator, and
    EventNotCompleted before the end or for a cancelled event.
    """
    if requested_by is not None:
        queries.require_program_administrator(user=requested_by)
    status = queries.event_status(event, now=now)
    if status is not queries.EventStatus.COMPLETED:
        raise EventNotCompleted(
            f"event {event.pk} is {status.value}: delivery is measured after it ends",
            details={"field": "event_id", "status": status.value},
        )
    counts = dict.fromkeys((o.value for o in MEASURE_OUTCOMES), 0)
    offers = Offer.objects.filter(event=event).exclude(status=Offer.Status.CANCELLED)
    for offer in offers.select_related("event__program", "enrollment"):
        counts[_measure_offer(offer=offer, now=now).value] += 1
    return counts


def _measure_offer(*, offer: Offer, now: datetime) -> Outcome:
    measured = delivery.measure(offer=offer)
    with transaction.atomic():
        Offer.objects.select_for_update().get(pk=offer.pk)
        current = Delivery.objects.filter(offer=offer, superseded_at__isnull=True).first()
        if (
            current is not None
            and current.readings_sha256 == measured.readings_sha256
            and current.rule_set_id == measured.rule_set_id
            and current.amount == measured.amount
        ):
            return Outcome.UNCHANGED
        if current is not None:
            current.superseded_at = now
            current.save(update_fields=["superseded_at"])
        Delivery.objects.create(
            offer=offer,
            rule_set_id=measured.rule_set_id,
            rule_kind=measured.rule_kind,
            settleable=measured.settleable,
            reason=measured.reason[:300],
            baseline_wh=measured.baseline_wh,
            delivered_wh=measured.delivered_wh,
            incremental_wh=measured.incremental_wh,
            average_kw=measured.average_kw,
            amount=measured.amount,
            hours=measured.hours,
            inputs=measured.inputs,
            readings_sha256=measured.readings_sha256,
            computed_at=now,
        )
    return Outcome.CREATED if current is None else Outcome.RECOMPUTED


def measure_completed_events(*, now: datetime) -> dict[str, int]:
    """Measure every event that ended within RECOMPUTE_FOR; return the summed counts."""
    totals = dict.fromkeys((o.value for o in MEASURE_OUTCOMES), 0)
    for event in DispatchEvent.objects.filter(
        cancelled_at__isnull=True, ends_at__lte=now, ends_at__gt=now - RECOMPUTE_FOR
    ).select_related("program"):
        for key, value in measure_event(event=event, now=now).items():
            totals[key] += value
    return totals


def expire_offers(*, now: datetime) -> int:
    """Mark every unanswered offer past its deadline EXPIRED; return how many."""
    with transaction.atomic():
        return Offer.objects.filter(
            status__in=[Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION],
            event__response_deadline__lt=now,
        ).update(status=Offer.Status.EXPIRED)


def send_offer_notices(*, now: datetime) -> int:
    """Email each owner whose offer is new or changed since they were told; return how many."""
    sent = 0
    for offer in queries.offers_due_a_notice().filter(event__response_deadline__gt=now):
        with transaction.atomic():
            locked = Offer.objects.select_for_update().get(pk=offer.pk)
            if locked.notified_modification == offer.event.modification:
                continue
            notifications.send_offer_notice(offer=offer)
            locked.notified_modification = offer.event.modification
            locked.save(update_fields=["notified_modification"])
            sent += 1
    return sent


def send_reminders(*, now: datetime) -> int:
    """Remind owners of unanswered offers whose deadline is within REMINDER_BEFORE."""
    sent = 0
    due = Offer.objects.filter(
        status__in=[Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION],
        reminded_at__isnull=True,
        event__cancelled_at__isnull=True,
        event__response_deadline__gt=now,
        event__response_deadline__lte=now + REMINDER_BEFORE,
    ).select_related("event", "event__program", "participant")
    for offer in due:
        with transaction.atomic():
            updated = Offer.objects.filter(pk=offer.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if updated:
                notifications.send_reminder(offer=offer)
                sent += 1
    return sent
