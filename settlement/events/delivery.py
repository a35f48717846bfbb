"""Measure one offer's delivery from the current reading revisions, with every input kept.

Readings are bucketed by UTC hour (a reading crossing an hour is split in proportion to
time); each hour is named by the local hour it starts in, in the program's zone. The math
(baselines, incremental energy, amounts) is the pure rating core's; this module gathers its
inputs from the database and records them.
"""

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Channel
from settlement.events.models import Delivery, DispatchEvent, Offer
from settlement.metering.models import Reading
from settlement.programs import queries as program_queries
from settlement.programs import rules
from settlement.rating import baselines, holiday_calendars, performance

HOUR = timedelta(hours=1)
GOOD_QUALITIES = frozenset({"ACTUAL", "EDITED", "DERIVED"})
ZERO = Decimal(0)
CENTS_ZERO = Decimal("0.00")


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


@dataclass
class _Buckets:
    """Energy and good seconds per (channel direction, UTC hour start)."""

    export_wh: dict[datetime, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    import_wh: dict[datetime, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    good_s: dict[datetime, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    keys: list[tuple[int, str, int]] = field(default_factory=list)


def _hour_floor(instant: datetime) -> datetime:
    return instant.replace(minute=0, second=0, microsecond=0)


def _bucket(
    readings: Iterable[tuple[int, datetime, int, int, str, int]],
    export_ids: set[int],
    good: frozenset[str],
) -> _Buckets:
    buckets = _Buckets()
    for channel_id, start, duration_s, wh, quality, revision in readings:
        buckets.keys.append((channel_id, start.isoformat(), revision))
        end = start + timedelta(seconds=duration_s)
        cursor = start
        while cursor < end:
            hour = _hour_floor(cursor)
            piece_end = min(end, hour + HOUR)
            seconds = Decimal((piece_end - cursor).total_seconds())
            share = Decimal(wh) * seconds / Decimal(duration_s)
            target = buckets.export_wh if channel_id in export_ids else buckets.import_wh
            target[hour] += share
            if quality in good:
                buckets.good_s[hour] += seconds
            cursor = piece_end
    return buckets


def _local(hour: datetime, zone: ZoneInfo) -> datetime:
    return hour.astimezone(zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _event_days(offer: Offer, zone: ZoneInfo, since: date) -> set[date]:
    """Local dates of other events of the program this enrollment was offered."""
    days = set()
    others = (
        Offer.objects.filter(
            enrollment_id=offer.enrollment_id,
            event__program_id=offer.event.program_id,
            event__cancelled_at__isnull=True,
            event__ends_at__gt=_midnight(since, zone),
            event__starts_at__lt=offer.event.starts_at,
        )
        .exclude(pk=offer.pk)
        .values_list("event__starts_at", "event__ends_at")
    )
    for starts_at, ends_at in others:
        day = starts_at.astimezone(zone).date()
        while _midnight(day, zone) < ends_at:
            days.add(day)
            day += timedelta(days=1)
    return days


def _candidate_days(
    *,
    buckets: _Buckets,
    first: date,
    event_day: date,
    zone: ZoneInfo,
    channel_count: int,
    event_days: set[date],
) -> list[baselines.CandidateDay]:
    candidates = []
    day = first
    while day < event_day:
        start, end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
        per_hour: dict[int, list[Decimal]] = defaultdict(list)
        good = ZERO
        hour = start.astimezone(ZoneInfo("UTC"))
        while hour < end:
            local_hour = _local(hour, zone).hour
            if hour in buckets.export_wh or hour in buckets.import_wh:
                per_hour[local_hour].append(buckets.import_wh[hour] - buckets.export_wh[hour])
            good += buckets.good_s.get(hour, ZERO)
            hour += HOUR
        expected = Decimal((end - start).total_seconds()) * channel_count
        # A fall-back day's repeated hour is the mean of its two occurrences.
        hourly = {h: sum(values, ZERO) / len(values) for h, values in per_hour.items()}
        candidates.append(
            baselines.CandidateDay(
                day=day,
                hourly_wh=hourly,
                incomplete_share=max(ZERO, 1 - good / expected) if expected else Decimal(1),
                excluded_reason="event day" if day in event_days else "",
            )
        )
        day += timedelta(days=1)
    return candidates


def _readings(channel_ids: list[int], start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return (
        Reading.objects.filter(channel_id__in=channel_ids, start__gte=start - HOUR, start__lt=end)
        .order_by("channel_id", "start")
        .values_list("channel_id", "start", "duration_s", "wh", "quality", "revision")
    )


def _sha256(keys: list[tuple[int, str, int]], extra: object) -> str:
    text = json.dumps({"readings": sorted(keys), "extra": extra}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _window_problem(
    event_hours: list[datetime], buckets: _Buckets, channel_count: int, zone: ZoneInfo
) -> str:
    for hour in event_hours:
        if buckets.good_s.get(hour, ZERO) < Decimal(3600 * channel_count):
            local = _local(hour, zone)
            return (
                f"missing or unpaid (estimated) readings in the event hour "
                f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
            )
    return ""


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
    start = _midnight(date(year, 1, 1), zone)
    amounts = Delivery.objects.filter(
        superseded_at__isnull=True,
        offer__enrollment_id=offer.enrollment_id,
        offer__event__program_id=offer.event.program_id,
        offer__event__starts_at__gte=start,
        offer__event__starts_at__lt=offer.event.starts_at,
    ).values_list("amount", flat=True)
    return sum(amounts, CENTS_ZERO)


def measure(*, offer: Offer) -> Measured:
    """Return the offer's delivery under the program's pay rule in force at the event.

    Raises NoPayRule when the program has no rule that pays events on that date.
    """
    event: DispatchEvent = offer.event
    zone = ZoneInfo(event.program.timezone)
    event_day = event.starts_at.astimezone(zone).date()
    in_force = program_queries.rule_set_on(program=event.program, on=event_day)
    rule = None
    for kind in (
        rules.RuleKind.ACCEPTED_OFFER,
        rules.RuleKind.EVENT_INCREMENTAL,
        rules.RuleKind.SEASONAL_CAPACITY,
    ):
        rule = in_force.one(kind) if in_force else None
        if rule is not None:
            break
    if rule is None or in_force is None:
        raise NoPayRule(
            f"{event.program.code} has no rule paying events on {event_day}",
            details={"field": "program"},
        )
    site_channels = Channel.objects.filter(site_id=offer.enrollment.site_id)
    export_ids = set(site_channels.filter(kind=offer.channel_kind).values_list("pk", flat=True))
    import_ids = set(
        site_channels.filter(kind=rules.IMPORT_CHANNEL_OF[offer.channel_kind]).values_list(
            "pk", flat=True
        )
    )
    parameters = rule.parameters
    event_hours = []
    hour = event.starts_at
    while hour < event.ends_at:
        event_hours.append(hour)
        hour += HOUR
    if isinstance(parameters, rules.EventIncrementalRule):
        return _incremental(
            offer=offer,
            rule=rule,
            parameters=parameters,
            in_force=in_force,
            zone=zone,
            event_day=event_day,
            event_hours=event_hours,
            export_ids=export_ids,
            import_ids=import_ids,
        )
    good = GOOD_QUALITIES | (
        {"ESTIMATED"} if getattr(parameters, "pay_estimated", False) else frozenset()
    )
    buckets = _bucket(
        _readings(sorted(export_ids), event.starts_at, event.ends_at), export_ids, good
    )
    delivered = sum((buckets.export_wh.get(h, ZERO) for h in event_hours), ZERO)
    hours_json: list[dict[str, object]] = [
        {
            "start": h.isoformat(),
            "local_hour": _local(h, zone).hour,
            "baseline_wh": None,
            "actual_wh": str(-buckets.export_wh.get(h, ZERO)),
            "incremental_wh": None,
            "paid_wh": str(buckets.export_wh.get(h, ZERO)),
        }
        for h in event_hours
    ]
    duration_s = int((event.ends_at - event.starts_at).total_seconds())
    inputs: dict[str, object] = {
        "rule": _rule_inputs(rule, in_force),
        "readings": sorted(buckets.keys),
        "price_per_kwh": str(event.price_per_kwh),
    }
    sha = _sha256(buckets.keys, inputs["rule"])
    problem = _window_problem(event_hours, buckets, len(export_ids), zone)
    average_kw = delivered / Decimal(1000) / (Decimal(duration_s) / 3600)
    base = Measured(
        rule_set_id=in_force.rule_set_id,
        rule_kind=rule.kind.value,
        settleable=True,
        reason="",
        baseline_wh=None,
        delivered_wh=delivered,
        incremental_wh=None,
        average_kw=average_kw,
        amount=CENTS_ZERO,
        hours=hours_json,
        inputs=inputs,
        readings_sha256=sha,
    )
    if problem:
        return dataclasses.replace(base, settleable=False, reason=problem)
    if isinstance(parameters, rules.SeasonalCapacityRule):
        return dataclasses.replace(
            base, reason="seasonal capacity: paid per season on the average kW of all event hours"
        )
    assert isinstance(parameters, rules.AcceptedOfferRule)  # noqa: S101 - the kinds above
    not_paid = _not_paid_reason(offer)
    if not_paid:
        return dataclasses.replace(base, reason=not_paid)
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
        price_per_kwh=event.price_per_kwh,
        shortfall_price_per_kwh=shortfall.price_per_kwh if shortfall else None,
        shortfall_below_share=shortfall.below_share if shortfall else None,
    )
    inputs["commitment"] = {
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


def _incremental(
    *,
    offer: Offer,
    rule: program_queries.RuleInForce,
    parameters: rules.EventIncrementalRule,
    in_force: program_queries.RulesInForce,
    zone: ZoneInfo,
    event_day: date,
    event_hours: list[datetime],
    export_ids: set[int],
    import_ids: set[int],
) -> Measured:
    event = offer.event
    method = parameters.baseline
    first_day = event_day - timedelta(days=method.lookback_days)
    channel_ids = sorted(export_ids | import_ids)
    good = GOOD_QUALITIES | ({"ESTIMATED"} if parameters.pay_estimated else frozenset())
    buckets = _bucket(
        _readings(channel_ids, _midnight(first_day, zone), event.ends_at), export_ids, good
    )
    holidays = holiday_calendars.holiday_dates(
        parameters.holidays, range(first_day.year, event_day.year + 1)
    )
    local_hours = [_local(h, zone).hour for h in event_hours]
    window = (
        baselines.adjustment_hours(first_event_hour=local_hours[0], bounds=parameters.adjustment)
        if parameters.adjustment
        else ()
    )
    wanted = list(dict.fromkeys([*window, *local_hours]))
    candidates = _candidate_days(
        buckets=buckets,
        first=first_day,
        event_day=event_day,
        zone=zone,
        channel_count=len(channel_ids),
        event_days=_event_days(offer, zone, first_day),
    )
    baseline = baselines.compute_baseline(
        event_day=event_day, hours=wanted, candidates=candidates, method=method, holidays=holidays
    )
    actual = [buckets.import_wh.get(h, ZERO) - buckets.export_wh.get(h, ZERO) for h in event_hours]
    delivered = sum((buckets.export_wh.get(h, ZERO) for h in event_hours), ZERO)
    inputs: dict[str, object] = {
        "rule": _rule_inputs(rule, in_force),
        "readings": sorted(buckets.keys),
        "price_per_kwh": str(parameters.price_per_kwh or event.price_per_kwh),
        "baseline": {
            "method": baseline.method.value,
            "day_type": baseline.day_type.value,
            "days": [d.isoformat() for d in baseline.used_days],
            "skipped": [
                {"day": s.day.isoformat(), "reason": s.reason} for s in baseline.skipped_days
            ],
            "hourly_wh": {str(h): str(v) for h, v in baseline.hourly_wh.items()},
        },
    }
    sha = _sha256(buckets.keys, inputs["rule"])
    duration_h = Decimal(len(event_hours))
    base = Measured(
        rule_set_id=in_force.rule_set_id,
        rule_kind=rule.kind.value,
        settleable=False,
        reason="",
        baseline_wh=None,
        delivered_wh=delivered,
        incremental_wh=None,
        average_kw=delivered / Decimal(1000) / duration_h,
        amount=CENTS_ZERO,
        hours=[
            {
                "start": h.isoformat(),
                "local_hour": lh,
                "baseline_wh": None,
                "actual_wh": str(a),
                "incremental_wh": None,
                "paid_wh": None,
            }
            for h, lh, a in zip(event_hours, local_hours, actual, strict=True)
        ],
        inputs=inputs,
        readings_sha256=sha,
    )
    problem = _window_problem(event_hours, buckets, len(channel_ids), zone)
    if not baseline.settleable or problem:
        return dataclasses.replace(base, reason=baseline.reason or problem)
    factor = Decimal(1)
    if parameters.adjustment is not None and window:
        event_start = event.starts_at
        before = {
            _local(h, zone).hour: buckets.import_wh.get(h, ZERO) - buckets.export_wh.get(h, ZERO)
            for h in (event_start - HOUR * n for n in range(1, 25))
            if _local(h, zone).date() == event_day
        }
        adjustment = baselines.day_of_adjustment(
            baseline_wh=baseline.hourly_wh,
            actual_wh={h: before.get(h, ZERO) for h in window},
            hours=window,
            bounds=parameters.adjustment,
        )
        factor = adjustment.factor
        inputs["adjustment"] = {
            "hours": list(adjustment.hours),
            "actual_wh": str(adjustment.actual_wh),
            "baseline_wh": str(adjustment.baseline_wh),
            "ratio": None if adjustment.ratio is None else str(adjustment.ratio),
            "factor": str(adjustment.factor),
        }
    adjusted = baselines.adjusted({h: baseline.hourly_wh[h] for h in local_hours}, factor)
    result = performance.incremental_delivery(
        local_hours=local_hours,
        baseline_wh=[adjusted[h] for h in local_hours],
        actual_wh=actual,
        negative_hours=parameters.negative_hours,
    )
    hours_json: list[dict[str, object]] = [
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
    not_paid = _not_paid_reason(offer)
    if not_paid:
        amount, reason = CENTS_ZERO, not_paid
    else:
        priced = performance.event_amount(
            paid_wh=result.paid_wh,
            price_per_kwh=parameters.price_per_kwh or event.price_per_kwh,
            per_event_cap=parameters.per_event_cap,
            minimum_payment=parameters.minimum_payment,
            test_event=event.kind == DispatchEvent.Kind.TEST,
            pay_test_events=parameters.pay_test_events,
        )
        amount, reason = priced.amount, priced.reason
        if parameters.per_season_cap is not None:
            allowed = performance.within_season_cap(
                amount=amount,
                paid_so_far=_season_paid_before(offer, zone),
                cap=parameters.per_season_cap,
            )
            if allowed != amount:
                amount, reason = allowed, f"season cap of {parameters.per_season_cap} reached"
    return dataclasses.replace(
        base,
        settleable=True,
        reason=reason,
        baseline_wh=result.baseline_wh,
        incremental_wh=result.paid_wh,
        amount=amount,
        hours=hours_json,
    )
