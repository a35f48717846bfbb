"""Writes of events: dispatch, modify, cancel, answer offers, expire them, measure delivery."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from django.db import transaction

from accounts import access
from accounts.models import Channel, Charger, Participant, Program, User
from settlement.bounds import MAX_DATABASE_ID
from settlement.errors import DomainError
from settlement.events import (
    constraints,
    delivery,
    eligibility,
    notifications,
    queries,
    results,
    standing,
)
from settlement.events.models import (
    BatterySetting,
    Delivery,
    DispatchEvent,
    Offer,
    OfferResponse,
    StandingRule,
    StandingRuleVersion,
)
from settlement.outcomes import Outcome
from settlement.programs import queries as program_queries
from settlement.programs import rules
from settlement.rating import money

# How long before the deadline the reminder goes out.
REMINDER_BEFORE = timedelta(hours=2)
# Deliveries are recomputed for late or revised readings this long after an event.
RECOMPUTE_FOR = timedelta(days=60)
# Readings this long before an event may change its delivery: the longest baseline lookback
# a rule may set (programs.rules, 120 days) and the day itself.
BASELINE_REACH = timedelta(days=121)


class EventNotChangeable(DomainError):
    """The event has started, ended or been cancelled: it can no longer change."""

    code = "event_not_changeable"
    http_status = 409


class OfferClosed(DomainError):
    """The offer can no longer be answered (cancelled, expired, or past its deadline)."""

    code = "offer_closed"
    http_status = 409


class AlreadyAnswered(DomainError):
    """The offer already has this very answer (same answer, kW and reserve)."""

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


class ReserveInvalid(DomainError):
    """The battery reserve is not a whole percent from 0 to 100."""

    code = "reserve_invalid"


def validate_reserve(*, reserve_percent: int) -> int:
    """Return `reserve_percent` if it is a whole percent from 0 to 100; raise ReserveInvalid."""
    if not 0 <= reserve_percent <= 100:
        raise ReserveInvalid(
            f"reserve_percent: {reserve_percent} is not between 0 and 100",
            details={"field": "reserve_percent"},
        )
    return reserve_percent


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
    offer.wear_amount = worth.wear
    offer.net_amount = worth.net


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
            _answer_by_standing_rule(offer=offer, in_force=in_force, now=now)
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
            # The new version is answered again by the standing rules: those still waiting
            # for an answer, and those a rule declined (a better price may now be accepted).
            # A decline given by hand stands.
            if offer.status in (Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION) or (
                offer.status == Offer.Status.DECLINED and offer.rule_version_id is not None
            ):
                _answer_by_standing_rule(offer=offer, in_force=in_force, now=now)
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
        transaction.on_commit(lambda: notifications.send_cancellations(offers=cancelled, now=now))
    return event


def _kw_or_max(kw: Decimal | None) -> str:
    return "the charger maximum" if kw is None else f"{eligibility.kw_text(kw)} kW"


def _change(
    *,
    previous: OfferResponse | None,
    modification: int,
    answer: str,
    committed_kw: Decimal | None,
    reserve_percent: int | None,
) -> str:
    """Return what an answer changes from the one before it, as the owner reads it; "" when
    it changes nothing."""
    if previous is None:
        return "first answer"
    parts = []
    if previous.modification != modification:
        parts.append(f"answer to version {modification} of the event")
    if previous.answer != answer:
        parts.append(f"{previous.answer.lower()} -> {answer.lower()}")
    elif answer == OfferResponse.Answer.ACCEPT and previous.committed_kw != committed_kw:
        parts.append(f"{_kw_or_max(previous.committed_kw)} -> {_kw_or_max(committed_kw)}")
    if (
        answer == previous.answer == OfferResponse.Answer.ACCEPT
        and previous.reserve_percent != reserve_percent
    ):
        parts.append(f"reserve {previous.reserve_percent or 0}% -> {reserve_percent or 0}%")
    return "; ".join(parts)


def _record_answer(
    *,
    offer: Offer,
    answer: str,
    committed_kw: Decimal | None,
    reserve_percent: int | None,
    now: datetime,
    user: User | None = None,
    rule_version: StandingRuleVersion | None = None,
) -> OfferResponse:
    """Append an answer to the (locked) offer's history and make it the current one.

    The offer's status, committed kW and reserve follow the latest answer: they are what
    delivery and settlement read. Raises AlreadyAnswered when it changes nothing.
    """
    event = offer.event
    previous = OfferResponse.objects.filter(offer=offer).order_by("-responded_at", "-pk").first()
    change = _change(
        previous=previous,
        modification=event.modification,
        answer=answer,
        committed_kw=committed_kw,
        reserve_percent=reserve_percent,
    )
    unconfirmed = offer.status in (Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION)
    if not change and not unconfirmed:
        raise AlreadyAnswered(
            f"this offer is already {offer.get_status_display().lower()} with these terms",
            details={"field": "offer_id", "status": offer.status},
        )
    response = OfferResponse.objects.create(
        offer=offer,
        modification=event.modification,
        answer=answer,
        committed_kw=committed_kw,
        reserve_percent=reserve_percent,
        responded_by=user,
        rule_version=rule_version,
        change=change or "confirmed",
        responded_at=now,
    )
    offer.status = (
        Offer.Status.ACCEPTED if answer == OfferResponse.Answer.ACCEPT else Offer.Status.DECLINED
    )
    offer.committed_kw = committed_kw
    offer.reserve_percent = reserve_percent
    offer.rule_version = rule_version
    offer.modification = event.modification
    offer.responded_at = now
    fields = ["status", "committed_kw", "reserve_percent", "rule_version", "modification"]
    fields.append("responded_at")
    # A commitment caps what the offer can pay (docs/events.md), so the most it can earn,
    # the wear and the net are recomputed with it (and back at the charger maximum when none
    # is given). The event was accepted under rules in force on its date; none found keeps
    # the stored worth, which create_event computed under them.
    in_force = eligibility.rules_of_event(event=event)
    if in_force is not None:
        _price_offer(offer, in_force)
        fields += ["ceiling_amount", "estimate_amount", "worth", "wear_amount", "net_amount"]
    offer.save(update_fields=fields)
    return response


def _answer(
    *,
    offer: Offer,
    answer: str,
    committed_kw: Decimal | None,
    reserve_percent: int | None,
    user: User,
    now: datetime,
) -> Offer:
    # Every answer, from the page, the API or anything later, commits the participant: only
    # those who may act for it may give one (a viewer reads the offer, never answers it).
    access.require_may_act_for(user=user, participant=offer.participant)
    with transaction.atomic():
        # The row lock serializes two answers sent at once: each is recorded in turn, and
        # the later one is the offer's answer.
        offer = (
            Offer.objects.select_for_update()
            .select_related("event", "event__program", "enrollment")
            .get(pk=offer.pk)
        )
        event = offer.event
        zone_deadline = event.response_deadline
        if event.cancelled_at is not None or offer.status == Offer.Status.CANCELLED:
            raise OfferClosed("the event was cancelled", details={"field": "offer_id"})
        if now > zone_deadline or offer.status == Offer.Status.EXPIRED:
            raise OfferClosed(
                f"the deadline to answer passed at {zone_deadline.isoformat()}",
                details={"field": "offer_id", "deadline": zone_deadline.isoformat()},
            )
        if committed_kw is not None:
            committed_kw = validate_commitment(committed_kw=committed_kw, max_kw=offer.max_kw)
        if reserve_percent is not None:
            reserve_percent = validate_reserve(reserve_percent=reserve_percent)
        _record_answer(
            offer=offer,
            answer=answer,
            committed_kw=committed_kw,
            reserve_percent=reserve_percent,
            user=user,
            now=now,
        )
        return offer


def accept_offer(
    *,
    offer: Offer,
    committed_kw: Decimal | None,
    user: User,
    now: datetime,
    reserve_percent: int | None = None,
) -> Offer:
    """Return the offer accepted for the event's current modification.

    An answered offer may be answered again until the deadline (decline to accept, another
    kW or reserve); every answer is kept and the latest counts. Raises MayNotAct (403)
    unless `user` may act for the offer's participant, OfferClosed (cancelled or past the
    deadline), AlreadyAnswered (accepted already with these very terms), CommitmentInvalid
    (not above 0, or above the charger's maximum) or ReserveInvalid.
    """
    return _answer(
        offer=offer,
        answer=OfferResponse.Answer.ACCEPT,
        committed_kw=committed_kw,
        reserve_percent=reserve_percent,
        user=user,
        now=now,
    )


def decline_offer(*, offer: Offer, user: User, now: datetime) -> Offer:
    """Return the offer declined (also after accepting it, until the deadline); raises
    MayNotAct, OfferClosed or AlreadyAnswered (declined already)."""
    return _answer(
        offer=offer,
        answer=OfferResponse.Answer.DECLINE,
        committed_kw=None,
        reserve_percent=None,
        user=user,
        now=now,
    )


def _answer_by_standing_rule(
    *, offer: Offer, in_force: program_queries.RulesInForce, now: datetime
) -> OfferResponse | None:
    """Answer the (locked, saved) offer by the participant's first matching standing rule;
    return the answer, or None when no rule matches (the offer stays as it is)."""
    if now > offer.event.response_deadline:
        return None
    decision = standing.decide(offer=offer, in_force=in_force)
    if decision is None:
        return None
    if (
        offer.status == Offer.Status.DECLINED
        and decision.answer == OfferResponse.Answer.DECLINE
        and offer.modification == offer.event.modification
    ):
        return None
    return _record_answer(
        offer=offer,
        answer=decision.answer,
        committed_kw=decision.committed_kw,
        reserve_percent=decision.reserve_percent,
        rule_version=decision.version,
        now=now,
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
        measured_now = Delivery.objects.create(
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
        results.delivery_measured(offer=offer, delivery=measured_now, now=now)
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


@dataclass(frozen=True)
class ChannelSpan:
    """Readings of one channel just written, over [start, end) (UTC)."""

    channel_id: int
    start: datetime
    end: datetime


def measure_covered_events(*, spans: list[ChannelSpan], now: datetime) -> dict[str, int]:
    """Measure the offers whose event those readings may complete; return summed counts.

    Called when readings are ingested (`tasks.measure_for_readings`), so an owner sees the
    results the day the readings arrive, not at the next sweep. An offer is measured when
    its site has a channel among `spans`, its event ended within RECOMPUTE_FOR, is not
    cancelled, and a span reaches into its window or the baseline days before it
    (BASELINE_REACH). Measuring is idempotent: unchanged inputs leave the delivery as is.
    """
    totals = dict.fromkeys((o.value for o in MEASURE_OUTCOMES), 0)
    if not spans:
        return totals
    sites = dict(
        Channel.objects.filter(pk__in={span.channel_id for span in spans}).values_list(
            "pk", "site_id"
        )
    )
    by_site: dict[int, list[ChannelSpan]] = {}
    for span in spans:
        if span.channel_id in sites:
            by_site.setdefault(sites[span.channel_id], []).append(span)
    offers = (
        Offer.objects.filter(
            enrollment__site_id__in=list(by_site),
            event__cancelled_at__isnull=True,
            event__ends_at__lte=now,
            event__ends_at__gt=now - RECOMPUTE_FOR,
        )
        .exclude(status=Offer.Status.CANCELLED)
        .select_related("event__program", "enrollment", "participant")
        .order_by("event__starts_at", "pk")
    )
    for offer in offers:
        event = offer.event
        if any(
            span.start < event.ends_at and span.end > event.starts_at - BASELINE_REACH
            for span in by_site[offer.enrollment.site_id]
        ):
            totals[_measure_offer(offer=offer, now=now).value] += 1
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
            notifications.send_offer_notice(offer=offer, now=now)
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
                notifications.send_reminder(offer=offer, now=now)
                sent += 1
    return sent


# -- standing answers and battery settings -------------------------------------------------


class StandingRuleInvalid(DomainError):
    """A standing rule's terms are refused; `details.field` names the first bad field."""

    code = "standing_rule_invalid"


ALL_WEEKDAYS: Final = "1234567"
HOURS_IN_DAY: Final = 24
NAME_LENGTH: Final = 80
LARGEST_MONTHLY_LIMIT: Final = 31
LARGEST_POSITION: Final = 1000


@dataclass(frozen=True)
class StandingTerms:
    """What an owner asks a standing rule to do (see StandingRuleVersion for the meaning)."""

    name: str
    min_price_per_kwh: Decimal | None = None
    min_net_amount: Decimal | None = None
    decline_below: bool = False
    max_kw: Decimal | None = None
    weekdays: str = ALL_WEEKDAYS
    start_hour: int = 0
    end_hour: int = HOURS_IN_DAY
    monthly_limit: int | None = None
    reserve_percent: int | None = None
    position: int = 1
    charger_id: int | None = None
    active: bool = True


class ChargerNotFound(DomainError):
    """A standing rule names a charger that is not one of its participant's."""

    code = "charger_not_found"
    http_status = 404


def _refuse_rule(field: str, reason: str) -> StandingRuleInvalid:
    return StandingRuleInvalid(f"{field}: {reason}", details={"field": field})


def _check_money(field: str, value: Decimal | None, *, places: int, ceiling: Decimal) -> None:
    if value is None:
        return
    problem = money.bound_problem(value, places=places, ceiling=ceiling)
    if problem is not None:
        raise _refuse_rule(field, problem)
    if value < 0 and field == "min_price_per_kwh":
        raise _refuse_rule(field, "must be 0 or more")


def _checked_terms(*, participant: Participant, terms: StandingTerms) -> tuple[str, Charger | None]:
    """Return the rule's weekdays (sorted digits) and charger; raise StandingRuleInvalid."""
    name = terms.name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise _refuse_rule("name", f"give a name of 1 to {NAME_LENGTH} characters")
    if terms.min_price_per_kwh is None and terms.min_net_amount is None:
        raise _refuse_rule(
            "min_price_per_kwh", "give a lowest price per kWh, a lowest net after wear, or both"
        )
    _check_money(
        "min_price_per_kwh",
        terms.min_price_per_kwh,
        places=money.PRICE_PLACES,
        ceiling=money.PRICE_CEILING,
    )
    _check_money(
        "min_net_amount",
        terms.min_net_amount,
        places=money.AMOUNT_PLACES,
        ceiling=money.AMOUNT_CEILING,
    )
    weekdays = "".join(sorted(set(terms.weekdays)))
    if not weekdays or any(day not in ALL_WEEKDAYS for day in weekdays):
        raise _refuse_rule("weekdays", "name at least one weekday, 1 (Monday) to 7 (Sunday)")
    if not 0 <= terms.start_hour < terms.end_hour <= HOURS_IN_DAY:
        raise _refuse_rule(
            "start_hour", "hours must satisfy 0 <= start_hour < end_hour <= 24 (local time)"
        )
    if terms.monthly_limit is not None and not 1 <= terms.monthly_limit <= LARGEST_MONTHLY_LIMIT:
        raise _refuse_rule("monthly_limit", f"must be from 1 to {LARGEST_MONTHLY_LIMIT}")
    if terms.reserve_percent is not None and not 0 <= terms.reserve_percent <= 100:
        raise _refuse_rule("reserve_percent", "must be a whole percent from 0 to 100")
    if not 1 <= terms.position <= LARGEST_POSITION:
        raise _refuse_rule("position", f"must be from 1 to {LARGEST_POSITION}")
    charger = None
    if terms.charger_id is not None:
        charger = Charger.objects.filter(
            pk=min(terms.charger_id, MAX_DATABASE_ID), site__participant=participant
        ).first()
        if charger is None:
            raise ChargerNotFound(
                f"charger_id: no charger {terms.charger_id} of this participant",
                details={"field": "charger_id"},
            )
    if terms.max_kw is not None:
        # The form of a commitment only: the charger's maximum caps the rule's kW when it
        # answers an offer (`standing`), as the help text says, rather than refusing the rule.
        try:
            validate_commitment(committed_kw=terms.max_kw, max_kw=None)
        except CommitmentInvalid as exc:
            raise _refuse_rule("max_kw", exc.message.removeprefix("committed_kw: ")) from None
    return weekdays, charger


def _new_version(
    *,
    rule: StandingRule,
    version: int,
    terms: StandingTerms,
    weekdays: str,
    charger: Charger | None,
    user: User,
    now: datetime,
) -> StandingRuleVersion:
    return StandingRuleVersion.objects.create(
        rule=rule,
        version=version,
        name=terms.name.strip(),
        position=terms.position,
        active=terms.active,
        charger=charger,
        min_price_per_kwh=terms.min_price_per_kwh,
        min_net_amount=terms.min_net_amount,
        decline_below=terms.decline_below,
        max_kw=terms.max_kw,
        weekdays=weekdays,
        start_hour=terms.start_hour,
        end_hour=terms.end_hour,
        monthly_limit=terms.monthly_limit,
        reserve_percent=terms.reserve_percent,
        created_by=user,
        created_at=now,
    )


def create_standing_rule(
    *, participant: Participant, terms: StandingTerms, user: User, now: datetime
) -> StandingRuleVersion:
    """Return version 1 of a new standing rule of `participant`.

    It answers offers made from now on (and events modified from now on); offers already
    made are left as they are. Raises MayNotAct (a viewer) or StandingRuleInvalid.
    """
    access.require_may_act_for(user=user, participant=participant)
    weekdays, charger = _checked_terms(participant=participant, terms=terms)
    with transaction.atomic():
        rule = StandingRule.objects.create(participant=participant, created_by=user, created_at=now)
        return _new_version(
            rule=rule,
            version=1,
            terms=terms,
            weekdays=weekdays,
            charger=charger,
            user=user,
            now=now,
        )


def change_standing_rule(
    *, rule: StandingRule, terms: StandingTerms, user: User, now: datetime
) -> StandingRuleVersion:
    """Return the rule's new version with `terms`; earlier versions are kept unchanged (the
    answers they gave name them). Raises MayNotAct or StandingRuleInvalid."""
    access.require_may_act_for(user=user, participant=rule.participant)
    weekdays, charger = _checked_terms(participant=rule.participant, terms=terms)
    with transaction.atomic():
        locked = StandingRule.objects.select_for_update().get(pk=rule.pk)
        latest = StandingRuleVersion.objects.filter(rule=locked).order_by("-version").first()
        number = 1 if latest is None else latest.version + 1
        return _new_version(
            rule=locked,
            version=number,
            terms=terms,
            weekdays=weekdays,
            charger=charger,
            user=user,
            now=now,
        )


def terms_of(version: StandingRuleVersion) -> StandingTerms:
    """Return the terms a version holds (to change one of them, or to disable the rule)."""
    return StandingTerms(
        name=version.name,
        min_price_per_kwh=version.min_price_per_kwh,
        min_net_amount=version.min_net_amount,
        decline_below=version.decline_below,
        max_kw=version.max_kw,
        weekdays=version.weekdays,
        start_hour=version.start_hour,
        end_hour=version.end_hour,
        monthly_limit=version.monthly_limit,
        reserve_percent=version.reserve_percent,
        position=version.position,
        charger_id=version.charger_id,
        active=version.active,
    )


def disable_standing_rule(*, rule: StandingRule, user: User, now: datetime) -> StandingRuleVersion:
    """Return the rule's new, disabled version: it answers nothing more; the answers it gave
    stand. Raises MayNotAct."""
    latest = StandingRuleVersion.objects.filter(rule=rule).order_by("-version").first()
    if latest is None:
        raise _refuse_rule("rule_id", "this rule has no version to disable")
    terms = terms_of(latest)
    return change_standing_rule(
        rule=rule,
        terms=replace(terms, active=False),
        user=user,
        now=now,
    )


class BatteryInvalid(DomainError):
    """A battery setting is refused; `details.field` names the bad field."""

    code = "battery_invalid"


LARGEST_BATTERY_KWH: Final = Decimal(1000000)


def set_battery(
    *,
    charger: Charger,
    usable_kwh: Decimal,
    wear_cost_per_kwh: Decimal,
    user: User,
    now: datetime,
) -> BatterySetting:
    """Return the charger's new battery setting (the earlier ones are kept).

    It prices offers made or answered from now on. Raises MayNotAct or BatteryInvalid.
    """
    access.require_may_act_for(user=user, participant=charger.site.participant)
    problem = money.bound_problem(usable_kwh, places=2, ceiling=LARGEST_BATTERY_KWH)
    if problem is not None or usable_kwh <= 0:
        raise BatteryInvalid(
            f"usable_kwh: {problem or 'must be above 0'}", details={"field": "usable_kwh"}
        )
    problem = money.bound_problem(
        wear_cost_per_kwh, places=money.PRICE_PLACES, ceiling=money.PRICE_CEILING
    )
    if problem is not None or wear_cost_per_kwh < 0:
        raise BatteryInvalid(
            f"wear_cost_per_kwh: {problem or 'must be 0 or more'}",
            details={"field": "wear_cost_per_kwh"},
        )
    return BatterySetting.objects.create(
        charger=charger,
        usable_kwh=usable_kwh,
        wear_cost_per_kwh=wear_cost_per_kwh,
        set_by=user,
        set_at=now,
    )
