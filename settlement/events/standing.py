"""Standing answers: which of a participant's rules answers an offer, and how.

Reads only; `operations` records the answer. The rules are taken in order (position, then
rule id), each at its latest version, disabled ones skipped; the first that matches answers.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from accounts import queries as account_queries
from accounts.models import Participant, User
from settlement import formatting
from settlement.errors import NotFound
from settlement.events import eligibility
from settlement.events.models import (
    Offer,
    OfferAnswer,
    OfferResponse,
    StandingRule,
    StandingRuleVersion,
)
from settlement.programs import queries as program_queries

# What counts toward a rule's monthly limit: offers accepted (and accepted offers whose event
# changed since, which the owner has not withdrawn).
COUNTED_STATUSES = (Offer.Status.ACCEPTED, Offer.Status.NEEDS_CONFIRMATION)


@dataclass(frozen=True)
class Decision:
    """The answer a standing rule gives an offer, and why."""

    version: StandingRuleVersion
    answer: str
    committed_kw: Decimal | None
    reserve_percent: int | None
    reason: str


class StandingRuleNotFound(NotFound):
    """No standing rule with this id belongs to a participant the caller is a member of."""

    code = "standing_rule_not_found"


class ParticipantNotFound(NotFound):
    """No participant with this id has the caller as a member."""

    code = "participant_not_found"


def access_participant_for_user(*, user: User, participant_id: int) -> Participant:
    """Return participant `participant_id` if `user` is a member of it (any role); raise
    ParticipantNotFound otherwise."""
    found = account_queries.participants_of(user=user).filter(pk=participant_id).first()
    if found is None:
        raise ParticipantNotFound(
            f"no participant {participant_id}", details={"field": "participant_id"}
        )
    return found


def access_rule_for_user(*, user: User, rule_id: int) -> StandingRule:
    """Return rule `rule_id` if it belongs to a participant `user` is a member of (any role:
    a viewer reads rules; writing them asks `may_act_for`). Raises StandingRuleNotFound."""
    rule = (
        StandingRule.objects.filter(
            pk=rule_id, participant__in=account_queries.participants_of(user=user)
        )
        .select_related("participant")
        .first()
    )
    if rule is None:
        raise StandingRuleNotFound(f"no standing rule {rule_id}", details={"field": "rule_id"})
    return rule


def latest_versions_for_user(*, user: User) -> list[StandingRuleVersion]:
    """Return the latest version of every rule of the participants `user` is a member of."""
    found = []
    for participant in account_queries.participants_of(user=user).order_by("pk"):
        found += latest_versions(participant_id=participant.pk)
    return found


def latest_version(*, rule: StandingRule) -> StandingRuleVersion:
    """Return the rule's latest version (every rule is created with one)."""
    return (
        StandingRuleVersion.objects.select_related("rule", "charger")
        .filter(rule=rule)
        .latest("version")
    )


def answers_of(*, offer: Offer) -> QuerySet[OfferResponse]:
    """Return every answer to the offer, oldest first, with who or which rule gave it."""
    return (
        OfferResponse.objects.filter(offer=offer)
        .select_related("responded_by", "rule_version")
        .order_by("responded_at", "pk")
    )


def latest_versions(*, participant_id: int) -> list[StandingRuleVersion]:
    """Return the latest version of each of the participant's rules, disabled ones too,
    in answering order (position, then rule id)."""
    latest: dict[int, StandingRuleVersion] = {}
    for version in (
        StandingRuleVersion.objects.filter(rule__participant_id=participant_id)
        .select_related("rule", "charger", "created_by")
        .order_by("rule_id", "version")
    ):
        latest[version.rule_id] = version
    return sorted(latest.values(), key=lambda v: (v.position, v.rule_id))


def active_versions(*, participant_id: int) -> list[StandingRuleVersion]:
    """Return the latest version of each enabled rule of the participant, in answering order."""
    return [v for v in latest_versions(participant_id=participant_id) if v.active]


def history_of(*, rule_id: int) -> QuerySet[StandingRuleVersion]:
    """Return every version of a rule, oldest first."""
    return StandingRuleVersion.objects.filter(rule_id=rule_id).order_by("version")


def _month_bounds(local_start: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    first = datetime(local_start.year, local_start.month, 1, tzinfo=zone)
    following = (
        datetime(local_start.year + 1, 1, 1, tzinfo=zone)
        if local_start.month == 12
        else datetime(local_start.year, local_start.month + 1, 1, tzinfo=zone)
    )
    return first, following


def accepted_in_month(*, offer: Offer, version: StandingRuleVersion) -> int:
    """Return how many other offers of the participant (at the rule's charger's site, when it
    names one) are accepted for events starting in the offer's local calendar month."""
    zone = ZoneInfo(offer.event.program.timezone)
    first, following = _month_bounds(offer.event.starts_at.astimezone(zone), zone)
    counted = Offer.objects.filter(
        participant_id=offer.participant_id,
        status__in=COUNTED_STATUSES,
        event__cancelled_at__isnull=True,
        event__starts_at__gte=first,
        event__starts_at__lt=following,
    ).exclude(pk=offer.pk)
    if version.charger is not None:
        counted = counted.filter(enrollment__site_id=version.charger.site_id)
    return counted.count()


def in_window(*, offer: Offer, version: StandingRuleVersion) -> bool:
    """Return whether the event starts on an allowed local weekday and lies within the
    rule's local hours [start_hour, end_hour) of its start day."""
    zone = ZoneInfo(offer.event.program.timezone)
    local_start = offer.event.starts_at.astimezone(zone)
    if str(local_start.isoweekday()) not in version.weekdays:
        return False
    midnight = datetime.combine(local_start.date(), time(0), tzinfo=zone)
    # Wall-clock arithmetic on the same zone: 17 h after midnight is 17:00 local, also on a
    # day that changes clocks.
    opens = midnight + timedelta(hours=version.start_hour)
    closes = midnight + timedelta(hours=version.end_hour)
    return opens <= offer.event.starts_at and offer.event.ends_at <= closes


def capped_kw(*, offer: Offer, version: StandingRuleVersion) -> Decimal | None:
    """Return the kW the rule commits: the least of its own cap, the site's charger maximum
    and the named charger's maximum (None when none of them is known)."""
    caps = [offer.max_kw, version.max_kw]
    if version.charger is not None:
        caps.append(version.charger.max_discharge_kw)
    known = [cap for cap in caps if cap is not None]
    return min(known) if known else None


def _money(amount: Decimal, offer: Offer) -> str:
    return formatting.money(amount=amount, currency=offer.event.program.currency)


def _condition(
    *,
    offer: Offer,
    version: StandingRuleVersion,
    in_force: program_queries.RulesInForce,
    committed_kw: Decimal | None,
) -> tuple[bool, str]:
    """Return whether the offer meets the rule's price and net thresholds, and the reason."""
    currency = offer.event.program.currency
    reasons = []
    met = True
    if version.min_price_per_kwh is not None:
        price = eligibility.offer_price(offer=offer, in_force=in_force)
        ok = price >= version.min_price_per_kwh
        met &= ok
        lowest = formatting.price(amount=version.min_price_per_kwh, currency=currency)
        reasons.append(
            f"price {formatting.price(amount=price, currency=currency)} "
            f"{'>=' if ok else '<'} {lowest}"
        )
    if version.min_net_amount is not None:
        net = eligibility.worth(
            offer=offer,
            in_force=in_force,
            committed_kw=committed_kw,
            reserve_percent=version.reserve_percent,
        ).net
        ok = net is not None and net >= version.min_net_amount
        met &= ok
        net_text = "unknown" if net is None else _money(net, offer)
        reasons.append(
            f"net after wear {net_text} {'>=' if ok else '<'} "
            f"{_money(version.min_net_amount, offer)}"
        )
    return met, ", ".join(reasons)


def _applies(*, offer: Offer, version: StandingRuleVersion) -> bool:
    if version.charger is not None and version.charger.site_id != offer.enrollment.site_id:
        return False
    if not in_window(offer=offer, version=version):
        return False
    return not (
        version.monthly_limit is not None
        and accepted_in_month(offer=offer, version=version) >= version.monthly_limit
    )


def decide(*, offer: Offer, in_force: program_queries.RulesInForce) -> Decision | None:
    """Return the answer of the first of the participant's rules that matches the offer, or
    None (the offer stays open for the owner).

    A rule matches an offer it applies to (charger, weekday and hours, monthly limit) when
    its thresholds are met (it accepts), or when they are not and it declines below them.
    """
    for version in active_versions(participant_id=offer.participant_id):
        if not _applies(offer=offer, version=version):
            continue
        committed = capped_kw(offer=offer, version=version)
        met, reason = _condition(
            offer=offer, version=version, in_force=in_force, committed_kw=committed
        )
        if met:
            return Decision(
                version=version,
                answer=OfferAnswer.ACCEPT,
                committed_kw=committed,
                reserve_percent=version.reserve_percent,
                reason=reason,
            )
        if version.decline_below:
            return Decision(
                version=version,
                answer=OfferAnswer.DECLINE,
                committed_kw=None,
                reserve_percent=None,
                reason=reason,
            )
    return None


DAY_NAMES = {"1": "Mon", "2": "Tue", "3": "Wed", "4": "Thu", "5": "Fri", "6": "Sat", "7": "Sun"}


def describe(*, version: StandingRuleVersion, currency: str) -> str:
    """Return the rule's terms as a sentence an owner reads on the page."""
    conditions = []
    if version.min_price_per_kwh is not None:
        price = formatting.price(amount=version.min_price_per_kwh, currency=currency)
        conditions.append(f"the price is at least {price}")
    if version.min_net_amount is not None:
        net = formatting.money(amount=version.min_net_amount, currency=currency)
        conditions.append(f"the net after battery wear is at least {net}")
    days = (
        "every day"
        if version.weekdays == "1234567"
        else ", ".join(DAY_NAMES[d] for d in version.weekdays)
    )
    parts = [
        "Accept when " + " and ".join(conditions),
        "commit "
        + (
            f"up to {eligibility.kw_text(version.max_kw)} kW"
            if version.max_kw is not None
            else "the charger maximum"
        )
        + (f" of charger {version.charger.external_id}" if version.charger is not None else ""),
        f"{days}, events within {version.start_hour:02d}:00-{version.end_hour:02d}:00 local",
    ]
    if version.monthly_limit is not None:
        parts.append(f"at most {version.monthly_limit} accepted event(s) a month")
    if version.reserve_percent is not None:
        parts.append(f"keep a {version.reserve_percent}% battery reserve")
    parts.append("otherwise decline" if version.decline_below else "otherwise leave it to me")
    return "; ".join(parts) + "."


def currency_of(*, participant: Participant) -> str:
    """Return the currency of the participant's programs (the first enrollment's), or USD."""
    enrollment = participant.enrollments.select_related("program").order_by("pk").first()
    return enrollment.program.currency if enrollment is not None else "USD"
