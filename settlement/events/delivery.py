"""Measure one offer's delivery from the current reading revisions, with every input kept.

The math is the pure rating core's: `rating.hour_buckets` puts readings into UTC hours
named by the local hour they start in (a fall-back day's repeated hour is their mean), and
baselines and performance turn hours into energy and amounts. This module reads the offer,
its pay rule and the readings from the database, calls the core, and records its inputs.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Channel
from settlement.events.models import Delivery, DispatchEvent, Offer
from settlement.metering.formats import quality as quality_codes
from settlement.metering.models import Reading
from settlement.programs import queries as program_queries
from settlement.programs import rules
from settlement.rating import baselines, holiday_calendars, hour_buckets, performance

ZERO = Decimal(0)
CENTS_ZERO = Decimal("0.00")

# The rule kinds that pay an event, in the order a rule set is searched for one.
PAY_RULE_KINDS = (
    rules.RuleKind.ACCEPTED_OFFER,
    rules.RuleKind.EVENT_INCREMENTAL,
    rules.RuleKind.SEASONAL_CAPACITY,
)


class NoPayRule(program_queries.RuleSetNotFound):
    """The program has no rule in force that pays events."""

    code = "no_event_pay_rule"
    http_status = 400


@dataclass(frozen=True)
class Measured:
    """A delivery as computed, before it is stored."""

    rule_set_id: int
    rule_kind: str
    settleable: bool
    reason: str
    baseline_wh: Decimal | None
    delivered_wh: Decimal | None
    incremental_wh: Decimal | None
    average_kw: Decimal | None
    amount: Decimal
    hours: list[dict[str, object]]
    inputs: dict[str, object]
    readings_sha256: str


def _event_days(offer: Offer, zone: ZoneInfo, since: date) -> set[date]:
    """Local dates of other events of the program this enrollment was offered."""
    others = (
        Offer.objects.filter(
            enrollment_id=offer.enrollment_id,
            event__program_id=offer.event.program_id,
            event__cancelled_at__isnull=True,
            event__ends_at__gt=hour_buckets.local_midnight(day=since, zone=zone),
            event__starts_at__lt=offer.event.starts_at,
        )
        .exclude(pk=offer.pk)
        .values_list("event__starts_at", "event__ends_at")
    )
    days: set[date] = set()
    for starts_at, ends_at in others:
        days |= hour_buckets.local_days_touched(starts_at=starts_at, ends_at=ends_at, zone=zone)
    return days


@dataclass(frozen=True)
class _Metered:
    """The readings of a delivery in hours, and the key of every reading used."""

    buckets: hour_buckets.HourBuckets
    keys: list[tuple[int, str, int]]


def _metered(
    *,
    channel_ids: list[int],
    export_ids: set[int],
    paid: frozenset[str],
    start: datetime,
    end: datetime,
) -> _Metered:
    rows = list(
        Reading.objects.filter(
            channel_id__in=channel_ids, start__gte=start - hour_buckets.HOUR, start__lt=end
        )
        .order_by("channel_id", "start")
        .values_list("channel_id", "start", "duration_s", "wh", "quality", "revision")
    )
    buckets = hour_buckets.bucket_by_hour(
        readings=(
            hour_buckets.Reading(
                start=begins,
                duration_s=duration_s,
                wh=wh,
                exported=channel_id in export_ids,
                paid=reading_quality in paid,
            )
            for channel_id, begins, duration_s, wh, reading_quality, _ in rows
        )
    )
    keys = [(channel_id, begins.isoformat(), revision) for channel_id, begins, *_, revision in rows]
    return _Metered(buckets=buckets, keys=keys)


def _paid_qualities(*, pay_estimated: bool) -> frozenset[str]:
    estimated = {quality_codes.Quality.ESTIMATED} if pay_estimated else set()
    return frozenset(quality_codes.PAID) | estimated


def _sha256(keys: list[tuple[int, str, int]], extra: object) -> str:
    text = json.dumps({"readings": sorted(keys), "extra": extra}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _window_problem(
    *,
    event_hours: list[datetime],
    buckets: hour_buckets.HourBuckets,
    channel_count: int,
    zone: ZoneInfo,
) -> str:
    short = hour_buckets.first_short_hour(
        buckets=buckets, hours=event_hours, channel_count=channel_count
    )
    if short is None:
        return ""
    local = short.astimezone(zone)
    return (
        f"missing or unpaid (estimated) readings in the event hour "
        f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    )


def _not_paid_reason(offer: Offer) -> str:
    if offer.status == Offer.Status.ACCEPTED:
        return ""
    return f"not accepted ({offer.get_status_display().lower()}): nothing is due"


def _rule_inputs(
    rule: program_queries.RuleInForce, in_force: program_queries.RulesInForce
) -> dict[str, object]:
    return {
        "rule_id": rule.rule_id,
        "rule_set_id": in_force.rule_set_id,
        "version": in_force.version,
        "kind": rule.kind.value,
        "name": rule.name,
    }


def _season_paid_before(offer: Offer, zone: ZoneInfo) -> Decimal:
    year = offer.event.starts_at.astimezone(zone).year
    start = hour_buckets.local_midnight(day=date(year, 1, 1), zone=zone)
    amounts = Delivery.objects.filter(
        superseded_at__isnull=True,
        offer__enrollment_id=offer.enrollment_id,
        offer__event__program_id=offer.event.program_id,
        offer__event__starts_at__gte=start,
        offer__event__starts_at__lt=offer.event.starts_at,
    ).values_list("amount", flat=True)
    return sum(amounts, CENTS_ZERO)


@dataclass(frozen=True)
class _Offered:
    """An offer with the rule that pays its event, and where and when it is measured."""

    offer: Offer
    rule: program_queries.RuleInForce
    in_force: program_queries.RulesInForce
    zone: ZoneInfo
    event_day: date
    event_hours: list[datetime]
    export_ids: set[int]
    import_ids: set[int]


def _pay_rule(
    *, event: DispatchEvent, event_day: date
) -> tuple[program_queries.RuleInForce, program_queries.RulesInForce]:
    in_force = program_queries.rule_set_on(program=event.program, on=event_day)
    if in_force is not None:
        for kind in PAY_RULE_KINDS:
            rule = in_force.one(kind)
            if rule is not None:
                return rule, in_force
    raise NoPayRule(
        f"{event.program.code} has no rule paying events on {event_day}",
        details={"field": "program"},
    )


def _offered(offer: Offer) -> _Offered:
    event: DispatchEvent = offer.event
    zone = ZoneInfo(event.program.timezone)
    event_day = event.starts_at.astimezone(zone).date()
    rule, in_force = _pay_rule(event=event, event_day=event_day)
    site_channels = Channel.objects.filter(site_id=offer.enrollment.site_id)
    import_kind = rules.IMPORT_CHANNEL_OF[offer.channel_kind]
    return _Offered(
        offer=offer,
        rule=rule,
        in_force=in_force,
        zone=zone,
        event_day=event_day,
        event_hours=hour_buckets.hours_between(start=event.starts_at, end=event.ends_at),
        export_ids=set(site_channels.filter(kind=offer.channel_kind).values_list("pk", flat=True)),
        import_ids=set(site_channels.filter(kind=import_kind).values_list("pk", flat=True)),
    )


def measure(*, offer: Offer) -> Measured:
    """Return the offer's delivery under the program's pay rule in force at the event.

    Raises NoPayRule when the program has no rule that pays events on that date.
    """
    offered = _offered(offer)
    parameters = offered.rule.parameters
    if isinstance(parameters, rules.EventIncrementalRule):
        return _incremental(offered=offered, parameters=parameters)
    if isinstance(parameters, rules.AcceptedOfferRule | rules.SeasonalCapacityRule):
        return _exported(offered=offered, parameters=parameters)
    # PAY_RULE_KINDS holds only the three kinds above; a fourth added there lands here.
    raise NoPayRule(
        f"{offer.event.program.code}: a {offered.rule.kind.value} rule does not pay events",
        details={"field": "program"},
    )


# -- accepted offer and seasonal capacity: the exported energy in the event hours ---


def _exported(
    *, offered: _Offered, parameters: rules.AcceptedOfferRule | rules.SeasonalCapacityRule
) -> Measured:
    offer, event, zone = offered.offer, offered.offer.event, offered.zone
    pay_estimated = isinstance(parameters, rules.AcceptedOfferRule) and parameters.pay_estimated
    metered = _metered(
        channel_ids=sorted(offered.export_ids),
        export_ids=offered.export_ids,
        paid=_paid_qualities(pay_estimated=pay_estimated),
        start=event.starts_at,
        end=event.ends_at,
    )
    buckets = metered.buckets
    delivered = sum((buckets.exported_wh(h) for h in offered.event_hours), ZERO)
    duration_s = int((event.ends_at - event.starts_at).total_seconds())
    inputs: dict[str, object] = {
        "rule": _rule_inputs(offered.rule, offered.in_force),
        "readings": sorted(metered.keys),
        "price_per_kwh": str(event.price_per_kwh),
    }
    base = Measured(
        rule_set_id=offered.in_force.rule_set_id,
        rule_kind=offered.rule.kind.value,
        settleable=True,
        reason="",
        baseline_wh=None,
        delivered_wh=delivered,
        incremental_wh=None,
        average_kw=delivered / Decimal(1000) / (Decimal(duration_s) / 3600),
        amount=CENTS_ZERO,
        hours=[
            {
                "start": h.isoformat(),
                "local_hour": hour_buckets.local_hour(hour=h, zone=zone),
                "baseline_wh": None,
                "actual_wh": str(-buckets.exported_wh(h)),
                "incremental_wh": None,
                "paid_wh": str(buckets.exported_wh(h)),
            }
            for h in offered.event_hours
        ],
        inputs=inputs,
        readings_sha256=_sha256(metered.keys, inputs["rule"]),
    )
    problem = _window_problem(
        event_hours=offered.event_hours,
        buckets=buckets,
        channel_count=len(offered.export_ids),
        zone=zone,
    )
    if problem:
        return dataclasses.replace(base, settleable=False, reason=problem)
    if isinstance(parameters, rules.SeasonalCapacityRule):
        return dataclasses.replace(
            base, reason="seasonal capacity: paid per season on the average kW of all event hours"
        )
    not_paid = _not_paid_reason(offer)
    if not_paid:
        return dataclasses.replace(base, reason=not_paid)
    return _accepted_offer_amount(
        base=base, offer=offer, parameters=parameters, delivered=delivered, duration_s=duration_s
    )


def _accepted_offer_amount(
    *,
    base: Measured,
    offer: Offer,
    parameters: rules.AcceptedOfferRule,
    delivered: Decimal,
    duration_s: int,
) -> Measured:
    committed_kw = offer.committed_kw or offer.max_kw
    committed = (
        performance.committed_wh(committed_kw=committed_kw, duration_s=duration_s)
        if committed_kw is not None
        else delivered
    )
    shortfall = parameters.shortfall
    result = performance.accepted_offer_amount(
        delivered_wh=delivered,
        committed_wh=committed,
        price_per_kwh=offer.event.price_per_kwh,
        shortfall_price_per_kwh=shortfall.price_per_kwh if shortfall else None,
        shortfall_below_share=shortfall.below_share if shortfall else None,
    )
    base.inputs["commitment"] = {
        "committed_kw": str(committed_kw) if committed_kw is not None else None,
        "committed_wh": str(committed),
        "paid_wh": str(result.paid_wh),
        "shortfall_wh": str(result.shortfall_wh),
        "energy_amount": str(result.energy_amount),
        "shortfall_charge": str(result.shortfall_charge),
    }
    reason = (
        f"shortfall of {result.shortfall_wh / 1000:.3f} kWh charged" if result.shortfall_wh else ""
    )
    return dataclasses.replace(base, reason=reason, amount=result.amount)


# -- event incremental: the load below a baseline of past days ---


def _incremental(*, offered: _Offered, parameters: rules.EventIncrementalRule) -> Measured:
    event, zone = offered.offer.event, offered.zone
    first_day = offered.event_day - timedelta(days=parameters.baseline.lookback_days)
    channel_ids = sorted(offered.export_ids | offered.import_ids)
    metered = _metered(
        channel_ids=channel_ids,
        export_ids=offered.export_ids,
        paid=_paid_qualities(pay_estimated=parameters.pay_estimated),
        start=hour_buckets.local_midnight(day=first_day, zone=zone),
        end=event.ends_at,
    )
    buckets = metered.buckets
    local_hours = [hour_buckets.local_hour(hour=h, zone=zone) for h in offered.event_hours]
    window = (
        baselines.adjustment_hours(first_event_hour=local_hours[0], bounds=parameters.adjustment)
        if parameters.adjustment
        else ()
    )
    baseline = _baseline(
        offered=offered,
        parameters=parameters,
        buckets=buckets,
        first_day=first_day,
        channel_count=len(channel_ids),
        wanted=list(dict.fromkeys([*window, *local_hours])),
    )
    actual = [buckets.net_import_wh(h) for h in offered.event_hours]
    delivered = sum((buckets.exported_wh(h) for h in offered.event_hours), ZERO)
    inputs: dict[str, object] = {
        "rule": _rule_inputs(offered.rule, offered.in_force),
        "readings": sorted(metered.keys),
        "price_per_kwh": str(parameters.price_per_kwh or event.price_per_kwh),
        "baseline": _baseline_inputs(baseline),
    }
    base = Measured(
        rule_set_id=offered.in_force.rule_set_id,
        rule_kind=offered.rule.kind.value,
        settleable=False,
        reason="",
        baseline_wh=None,
        delivered_wh=delivered,
        incremental_wh=None,
        average_kw=delivered / Decimal(1000) / Decimal(len(offered.event_hours)),
        amount=CENTS_ZERO,
        hours=_unpaid_hours(
            event_hours=offered.event_hours, local_hours=local_hours, actual=actual
        ),
        inputs=inputs,
        readings_sha256=_sha256(metered.keys, inputs["rule"]),
    )
    problem = _window_problem(
        event_hours=offered.event_hours, buckets=buckets, channel_count=len(channel_ids), zone=zone
    )
    if not baseline.settleable or problem:
        return dataclasses.replace(base, reason=baseline.reason or problem)
    factor = _adjustment_factor(
        offered=offered,
        parameters=parameters,
        buckets=buckets,
        baseline=baseline,
        window=window,
        inputs=inputs,
    )
    adjusted = baselines.adjusted({h: baseline.hourly_wh[h] for h in local_hours}, factor)
    result = performance.incremental_delivery(
        local_hours=local_hours,
        baseline_wh=[adjusted[h] for h in local_hours],
        actual_wh=actual,
        negative_hours=parameters.negative_hours,
    )
    amount, reason = _incremental_amount(
        offered=offered, parameters=parameters, paid_wh=result.paid_wh
    )
    return dataclasses.replace(
        base,
        settleable=True,
        reason=reason,
        baseline_wh=result.baseline_wh,
        incremental_wh=result.paid_wh,
        amount=amount,
        hours=_incremental_hours(event_hours=offered.event_hours, result=result),
    )


def _unpaid_hours(
    *, event_hours: list[datetime], local_hours: list[int], actual: list[Decimal]
) -> list[dict[str, object]]:
    return [
        {
            "start": h.isoformat(),
            "local_hour": lh,
            "baseline_wh": None,
            "actual_wh": str(a),
            "incremental_wh": None,
            "paid_wh": None,
        }
        for h, lh, a in zip(event_hours, local_hours, actual, strict=True)
    ]


def _incremental_hours(
    *, event_hours: list[datetime], result: performance.IncrementalDelivery
) -> list[dict[str, object]]:
    return [
        {
            "start": h.isoformat(),
            "local_hour": part.local_hour,
            "baseline_wh": str(part.baseline_wh),
            "actual_wh": str(part.actual_wh),
            "incremental_wh": str(part.incremental_wh),
            "paid_wh": str(part.paid_wh),
        }
        for h, part in zip(event_hours, result.hours, strict=True)
    ]


def _baseline(
    *,
    offered: _Offered,
    parameters: rules.EventIncrementalRule,
    buckets: hour_buckets.HourBuckets,
    first_day: date,
    channel_count: int,
    wanted: list[int],
) -> baselines.Baseline:
    event_day = offered.event_day
    holidays = holiday_calendars.holiday_dates(
        parameters.holidays, range(first_day.year, event_day.year + 1)
    )
    candidates = hour_buckets.candidate_days(
        buckets=buckets,
        first=first_day,
        event_day=event_day,
        zone=offered.zone,
        channel_count=channel_count,
        event_days=_event_days(offered.offer, offered.zone, first_day),
    )
    return baselines.compute_baseline(
        event_day=event_day,
        hours=wanted,
        candidates=candidates,
        method=parameters.baseline,
        holidays=holidays,
    )


def _baseline_inputs(baseline: baselines.Baseline) -> dict[str, object]:
    return {
        "method": baseline.method.value,
        "day_type": baseline.day_type.value,
        "days": [d.isoformat() for d in baseline.used_days],
        "skipped": [{"day": s.day.isoformat(), "reason": s.reason} for s in baseline.skipped_days],
        "hourly_wh": {str(h): str(v) for h, v in baseline.hourly_wh.items()},
    }


def _adjustment_factor(
    *,
    offered: _Offered,
    parameters: rules.EventIncrementalRule,
    buckets: hour_buckets.HourBuckets,
    baseline: baselines.Baseline,
    window: tuple[int, ...],
    inputs: dict[str, object],
) -> Decimal:
    """Return the day-of adjustment factor (1 without one), recording it in `inputs`."""
    if parameters.adjustment is None or not window:
        return Decimal(1)
    before = hour_buckets.net_import_before(
        buckets=buckets,
        event_start=offered.offer.event.starts_at,
        day=offered.event_day,
        zone=offered.zone,
    )
    adjustment = baselines.day_of_adjustment(
        baseline_wh=baseline.hourly_wh,
        actual_wh={h: before.get(h, ZERO) for h in window},
        hours=window,
        bounds=parameters.adjustment,
    )
    inputs["adjustment"] = {
        "hours": list(adjustment.hours),
        "actual_wh": str(adjustment.actual_wh),
        "baseline_wh": str(adjustment.baseline_wh),
        "ratio": None if adjustment.ratio is None else str(adjustment.ratio),
        "factor": str(adjustment.factor),
    }
    return adjustment.factor


def _incremental_amount(
    *, offered: _Offered, parameters: rules.EventIncrementalRule, paid_wh: Decimal
) -> tuple[Decimal, str]:
    offer, event = offered.offer, offered.offer.event
    not_paid = _not_paid_reason(offer)
    if not_paid:
        return CENTS_ZERO, not_paid
    priced = performance.event_amount(
        paid_wh=paid_wh,
        price_per_kwh=parameters.price_per_kwh or event.price_per_kwh,
        per_event_cap=parameters.per_event_cap,
        minimum_payment=parameters.minimum_payment,
        test_event=event.kind == DispatchEvent.Kind.TEST,
        pay_test_events=parameters.pay_test_events,
    )
    if parameters.per_season_cap is None:
        return priced.amount, priced.reason
    allowed = performance.within_season_cap(
        amount=priced.amount,
        paid_so_far=_season_paid_before(offer, offered.zone),
        cap=parameters.per_season_cap,
    )
    if allowed != priced.amount:
        return allowed, f"season cap of {parameters.per_season_cap} reached"
    return priced.amount, priced.reason
