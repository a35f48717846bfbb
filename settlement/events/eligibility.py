"""Which enrollments an event makes an offer to, and what each offer is worth."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from accounts import queries as account_queries
from accounts.models import Channel, Charger, Enrollment
from settlement import formatting
from settlement.events import battery, queries
from settlement.events.models import DispatchEvent, Offer
from settlement.programs import queries as program_queries
from settlement.programs import rules
from settlement.rating import performance, wear

PAYING_KINDS = (
    rules.RuleKind.ACCEPTED_OFFER,
    rules.RuleKind.EVENT_INCREMENTAL,
    rules.RuleKind.SEASONAL_CAPACITY,
)


@dataclass(frozen=True)
class Eligible:
    """An enrollment an event makes an offer to, with the channel and power it has."""

    enrollment: Enrollment
    channel_kind: str
    max_kw: Decimal | None


def paying_rule(in_force: program_queries.RulesInForce) -> program_queries.RuleInForce:
    """Return the rule that pays the program's events (the constraints check ensured one)."""
    return next(rule for kind in PAYING_KINDS if (rule := in_force.one(kind)) is not None)


def _channel_kind(rule: program_queries.RuleInForce) -> str:
    return str(getattr(rule.parameters, "channel_kind", "SITE_EXPORT"))


def _local_dates(event: DispatchEvent, zone: ZoneInfo) -> tuple[date, date]:
    first = event.starts_at.astimezone(zone).date()
    last = (event.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    return first, last


def targeted_sites(*, program_id: int, targets: frozenset[str]) -> dict[str, set[int]]:
    """Return, for each target, the sites of the program's enrollments it names: a target is
    a meter id (of a channel at the site) or a charger's external id (of a charger there)."""
    enrolled = Enrollment.objects.filter(program_id=program_id).values("site_id")
    found: dict[str, set[int]] = {target: set() for target in targets}
    for meter_id, site_id in Channel.objects.filter(
        meter_id__in=targets, site_id__in=enrolled
    ).values_list("meter_id", "site_id"):
        found[meter_id].add(site_id)
    for external_id, site_id in Charger.objects.filter(
        external_id__in=targets, site_id__in=enrolled
    ).values_list("external_id", "site_id"):
        found[external_id].add(site_id)
    return found


def eligible_enrollments(
    *,
    event: DispatchEvent,
    in_force: program_queries.RulesInForce,
    targets: frozenset[str] | None = None,
) -> list[Eligible]:
    """Return the enrollments eligible for `event`, in participant order.

    Eligible: active and enrolled over the whole window (local dates), an export channel of
    the kind the paying rule settles on at the site, not excluded by an overlapping
    enrollment in an exclusive program, and event hours left under the yearly cap. With
    `targets` (meter or charger ids), only enrollments at the sites they name.
    """
    zone = ZoneInfo(event.program.timezone)
    first, last = _local_dates(event, zone)
    channel_kind = _channel_kind(paying_rule(in_force))
    constraints = in_force.one(rules.RuleKind.EVENT_CONSTRAINTS)
    cap = getattr(constraints.parameters, "yearly_hour_cap", None) if constraints else None
    candidates = (
        Enrollment.objects.filter(
            program=event.program, status=Enrollment.Status.ACTIVE, starts_on__lte=first
        )
        .exclude(ends_on__isnull=False, ends_on__lte=last)
        .filter(site__channels__kind=channel_kind)
        .distinct()
        .select_related("participant", "site", "program")
        .order_by("participant__email", "pk")
    )
    if targets is not None:
        sites = targeted_sites(program_id=event.program_id, targets=targets)
        candidates = candidates.filter(site_id__in=set().union(*sites.values()))
    hours = Decimal((event.ends_at - event.starts_at).total_seconds()) / 3600
    year_start = datetime(first.year, 1, 1, tzinfo=zone)
    year_end = datetime(first.year + 1, 1, 1, tzinfo=zone)
    found = []
    for enrollment in candidates:
        if account_queries.overlapping_exclusive_enrollments(
            participant=enrollment.participant,
            program=event.program,
            starts_on=first,
            ends_on=last + timedelta(days=1),
        ).exists():
            continue
        if cap is not None:
            used = queries.hours_used_in_year(
                enrollment_id=enrollment.pk, year_start=year_start, year_end=year_end
            )
            if Decimal(str(used)) + hours > cap:
                continue
        found.append(Eligible(enrollment, channel_kind, site_max_kw(site_id=enrollment.site_id)))
    return found


def site_max_kw(*, site_id: int) -> Decimal | None:
    """Return the sum of the site's chargers' maximum discharge, or None without chargers."""
    total = Charger.objects.filter(site_id=site_id).aggregate(total=Sum("max_discharge_kw"))
    found: Decimal | None = total["total"]
    return None if found is None else Decimal(found).quantize(Decimal("0.001"))


def kw_text(kw: Decimal) -> str:
    """Return kW without trailing zeros: 11.5, 60, 7.25."""
    return format(kw.quantize(Decimal("0.001")).normalize(), "f")


@dataclass(frozen=True)
class Worth:
    """The most an offer can earn, the estimate from history, and how both were computed."""

    ceiling: Decimal | None
    estimate: Decimal | None
    explanation: dict[str, object]
    # The battery wear of delivering the commitment, and the estimate (or, with no history
    # yet, the most it can earn) less that wear; None without a charger on record.
    wear: Decimal | None = None
    net: Decimal | None = None


def _price(event: DispatchEvent, rule: program_queries.RuleInForce) -> Decimal:
    price = getattr(rule.parameters, "price_per_kwh", None)
    return price if isinstance(price, Decimal) else event.price_per_kwh


def rules_of_event(*, event: DispatchEvent) -> program_queries.RulesInForce | None:
    """Return the rule set in force on the event's local start date (what prices its offers)."""
    local_start = event.starts_at.astimezone(ZoneInfo(event.program.timezone))
    return program_queries.rule_set_on(program=event.program, on=local_start.date())


def offer_price(*, offer: Offer, in_force: program_queries.RulesInForce) -> Decimal:
    """Return the $/kWh the offer pays: the paying rule's own price, else the event's."""
    return _price(offer.event, paying_rule(in_force))


def worth(
    *,
    offer: Offer,
    in_force: program_queries.RulesInForce,
    committed_kw: Decimal | None = None,
    reserve_percent: int | None = None,
) -> Worth:
    """Return what `offer` can earn: max kW x hours x price (capped), the median estimate,
    the battery wear of delivering it and the net after wear.

    The estimate is the owner's median delivered kWh per event hour in earlier events of
    the program, times this event's hours and price; "no history yet" without one. The
    commitment and reserve are the offer's current answer's unless given (a standing rule
    weighing its own terms before answering).
    """
    event = offer.event
    rule = paying_rule(in_force)
    price = _price(event, rule)
    duration_s = int((event.ends_at - event.starts_at).total_seconds())
    hours = Decimal(duration_s) / 3600
    cap = getattr(rule.parameters, "per_event_cap", None)
    kw = committed_kw or offer.committed_kw or offer.max_kw
    reserve = reserve_percent if reserve_percent is not None else offer.reserve_percent or 0
    ceiling = (
        performance.offer_ceiling(
            max_kw=kw, duration_s=duration_s, price_per_kwh=price, per_event_cap=cap
        )
        if kw is not None
        else None
    )
    past = [
        (d.delivered_wh or Decimal(0))
        / 1000
        / (Decimal((d.offer.event.ends_at - d.offer.event.starts_at).total_seconds()) / 3600)
        for d in queries.past_deliveries_of(offer=offer)
    ]
    estimate = performance.estimate_from_history(
        past_kwh_per_hour=past,
        hours=hours,
        price_per_kwh=price,
        ceiling=ceiling if ceiling is not None else Decimal("Infinity"),
    )
    currency = event.program.currency
    price_text = formatting.price(amount=price, currency=currency)
    explanation: dict[str, object] = {
        "price_per_kwh": str(price),
        "hours": str(hours),
        "max_kw": None if kw is None else str(kw),
        "per_event_cap": None if cap is None else str(cap),
        "ceiling": (
            f"{kw_text(kw)} kW x {kw_text(hours)} h x {price_text}"
            + (
                f", capped at {formatting.money(amount=cap, currency=currency)}"
                if cap is not None
                else ""
            )
            if kw is not None
            else "no charger on record: no ceiling"
        ),
        "past_events": estimate.past_events,
        "median_kwh_per_hour": None
        if estimate.median_kwh_per_hour is None
        else str(round(estimate.median_kwh_per_hour, 3)),
        "estimate": (
            f"median of your {estimate.past_events} past event(s): "
            f"{round(estimate.median_kwh_per_hour, 3)} kWh per hour x {kw_text(hours)} h "
            f"x {price_text}"
            if estimate.median_kwh_per_hour is not None
            else "no history yet"
        ),
        "rule": rule.kind.value,
    }
    worn, net = _wear(
        offer=offer,
        default=_program_battery(in_force),
        kw=kw,
        hours=hours,
        reserve=reserve,
        earnings=estimate.amount if estimate.amount is not None else ceiling,
        basis="the estimate" if estimate.amount is not None else "the most you can earn",
        explanation=explanation,
    )
    return Worth(
        ceiling=ceiling, estimate=estimate.amount, explanation=explanation, wear=worn, net=net
    )


def _program_battery(in_force: program_queries.RulesInForce) -> battery.Default:
    """Return the program's default battery (its EVENT_CONSTRAINTS rule's), else the
    service's."""
    found = in_force.one(rules.RuleKind.EVENT_CONSTRAINTS)
    usable = getattr(found.parameters, "battery_usable_kwh", None) if found else None
    wear_cost = getattr(found.parameters, "battery_wear_cost_per_kwh", None) if found else None
    return battery.Default(
        usable_kwh=usable if usable is not None else battery.DEFAULT_USABLE_KWH,
        wear_cost_per_kwh=wear_cost if wear_cost is not None else battery.DEFAULT_WEAR_COST_PER_KWH,
    )


def _wear(
    *,
    offer: Offer,
    default: battery.Default,
    kw: Decimal | None,
    hours: Decimal,
    reserve: int,
    earnings: Decimal | None,
    basis: str,
    explanation: dict[str, object],
) -> tuple[Decimal | None, Decimal | None]:
    """Return the wear and net of the offer, writing how each was computed into
    `explanation` (the keys `wear` and `net`)."""
    found = battery.battery_of_site(site_id=offer.enrollment.site_id, default=default)
    if found is None or kw is None:
        explanation["wear"] = "no charger on record: no wear computed"
        explanation["net"] = "no charger on record: no net computed"
        return None, None
    currency = offer.event.program.currency
    cost = wear.wear_cost(
        kw=kw,
        hours=hours,
        usable_kwh=found.usable_kwh,
        reserve_percent=reserve,
        wear_cost_per_kwh=found.wear_cost_per_kwh,
    )
    wear_price = formatting.price(amount=found.wear_cost_per_kwh, currency=currency)
    asked = f"{kw_text(kw)} kW x {kw_text(hours)} h = {kw_text(cost.asked_kwh)} kWh"
    available = (
        f"{kw_text(found.usable_kwh)} kWh usable above a {reserve}% reserve = "
        f"{kw_text(cost.available_kwh)} kWh"
    )
    explanation["wear_cost_per_kwh"] = str(found.wear_cost_per_kwh)
    explanation["usable_kwh"] = str(found.usable_kwh)
    explanation["reserve_percent"] = reserve
    explanation["discharged_kwh"] = kw_text(cost.discharged_kwh)
    explanation["wear"] = (
        f"{kw_text(cost.discharged_kwh)} kWh discharged (the lesser of {asked} and {available})"
        f" x {wear_price} wear ({found.source})"
    )
    if earnings is None:
        explanation["net"] = "no ceiling or history: no net computed"
        return cost.amount, None
    net = wear.net(earnings=earnings, wear=cost.amount)
    explanation["net"] = (
        f"{basis} {formatting.money(amount=earnings, currency=currency)} less wear "
        f"{formatting.money(amount=cost.amount, currency=currency)}"
    )
    return cost.amount, net
