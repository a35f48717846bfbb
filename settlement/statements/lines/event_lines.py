"""Statement lines from grid events: accepted offers, incremental energy, seasonal capacity.

The events app measures each offer's delivery and stores it with its inputs
(`events.delivery`); a settlement pays the **current** delivery of each accepted offer. An
event belongs to the period its start falls in, in the program's local time. Seasonal
capacity is paid once per season, in the period that holds the season's last day, on the
average kW of all the season's event hours the participant was offered (a missed event adds
its hours and no energy). A delivery that could not be measured (missing readings, too few
baseline days) is a "not settleable" line with its reason, never a silent zero.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Prefetch

from accounts.models import Program
from settlement.events import operations as event_operations
from settlement.events.models import Delivery, DispatchEvent, Offer
from settlement.metering.models import Reading
from settlement.programs import queries as program_queries
from settlement.programs import rules as program_rules
from settlement.rating import performance
from settlement.rating.local_time import epoch_seconds
from settlement.statements.lines import run_lineage
from settlement.statements.lines.computation import ComputedLine
from settlement.statements.lines.inputs import SiteEnrollment
from settlement.statements.lines.line_labels import plain_number as plain
from settlement.statements.lines.line_labels import unit_price
from settlement.statements.lines.rule_lines import (
    RuleLines,
    day_label,
    kwh_of_wh,
    match_key,
    money,
    not_settleable,
    rule_version,
    runs_from_keys,
    stretch_on,
)
from settlement.statements.periods import Period

PAID_KINDS = (program_rules.RuleKind.ACCEPTED_OFFER, program_rules.RuleKind.EVENT_INCREMENTAL)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Season:
    """A season of a SEASONAL_CAPACITY rule ending inside the period."""

    rule: program_queries.RuleInForce
    parameters: program_rules.SeasonalCapacityRule
    year: int
    last_day: date


@dataclass
class EventInputs:
    """What a chunk's event lines are computed from, loaded once per chunk."""

    zone: ZoneInfo
    # Offers of the period's events, by participant, in event order.
    offers: dict[int, list[Offer]]
    seasons: list[Season]
    # Offers of each season's events, by (season year, participant).
    season_offers: dict[tuple[int, int], list[Offer]]
    durations: dict[tuple[int, int], int]
    fingerprints: dict[int, str]


def measure_period_events(*, program: Program, period: Period, now: datetime) -> None:
    """Bring the stored deliveries of the period's ended events up to date.

    A reading revised or a rule version corrected since an event was measured gives a new
    delivery (the old one is kept, superseded); an unchanged one is left alone.
    """
    for event in _events(program.pk, period.start_utc, period.end_utc).filter(ends_at__lte=now):
        event_operations.measure_event(event=event, now=now)


def _events(program_id: int, start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return DispatchEvent.objects.filter(
        program_id=program_id, cancelled_at__isnull=True, starts_at__gte=start, starts_at__lt=end
    ).select_related("program")


def _offers(  # type: ignore[no-untyped-def]
    events, participant_ids: list[int], delivery_ids: list[int] | None
) -> dict[int, list[Offer]]:
    """Return the offers with their current deliveries, or those of `delivery_ids` (the ones
    a run recorded, when it is reproduced)."""
    found: dict[int, list[Offer]] = defaultdict(list)
    deliveries = (
        Delivery.objects.filter(superseded_at__isnull=True)
        if delivery_ids is None
        else Delivery.objects.filter(pk__in=delivery_ids)
    )
    offers = (
        Offer.objects.filter(event__in=events, participant_id__in=participant_ids)
        .exclude(status=Offer.Status.CANCELLED)
        .select_related("event", "enrollment__site")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=deliveries,
                to_attr="current_deliveries",
            )
        )
        .order_by("event__starts_at", "event_id", "enrollment__site_id", "pk")
    )
    for offer in offers:
        found[offer.participant_id].append(offer)
    return dict(found)


def _current(offer: Offer) -> Delivery | None:
    found = getattr(offer, "current_deliveries", [])
    return found[0] if found else None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _seasons(stretches: list[program_queries.RulesInForce], period: Period) -> list[Season]:
    seasons = []
    for stretch in stretches:
        rule = stretch.one(program_rules.RuleKind.SEASONAL_CAPACITY)
        if rule is None or not isinstance(rule.parameters, program_rules.SeasonalCapacityRule):
            continue
        last_month = max(rule.parameters.season_months)
        for year in range(period.start.year, period.end.year + 1):
            following = date(year + last_month // 12, last_month % 12 + 1, 1)
            last_day = following - timedelta(days=1)
            if period.start <= last_day < period.end and stretch_on([stretch], last_day):
                seasons.append(Season(rule, rule.parameters, year, last_day))
    return seasons


def load(
    *,
    program: Program,
    stretches: list[program_queries.RulesInForce],
    period: Period,
    participant_ids: list[int],
    fingerprints: dict[int, str],
    delivery_ids: list[int] | None = None,
) -> EventInputs:
    """Return the offers, current deliveries and seasons the chunk's event lines need.

    With `delivery_ids`, those deliveries stand for the current ones (a run reproduced).
    """
    zone = ZoneInfo(program.timezone)
    program_id = program.pk
    offers = _offers(
        _events(program_id, period.start_utc, period.end_utc), participant_ids, delivery_ids
    )
    seasons = _seasons(stretches, period)
    season_offers: dict[tuple[int, int], list[Offer]] = {}
    for season in seasons:
        events = [
            event.pk
            for event in _events(
                program_id,
                _midnight(date(season.year, 1, 1), zone),
                _midnight(season.last_day + timedelta(days=1), zone),
            )
            if event.starts_at.astimezone(zone).month in season.parameters.season_months
            and (season.parameters.pay_test_events or event.kind != DispatchEvent.Kind.TEST)
        ]
        for participant_id, found in _offers(events, participant_ids, delivery_ids).items():
            season_offers[(season.year, participant_id)] = found
    every = [o for found in offers.values() for o in found] + [
        o for found in season_offers.values() for o in found
    ]
    return EventInputs(zone, offers, seasons, season_offers, _durations(every), fingerprints)


def _reading_keys(delivery: Delivery) -> list[tuple[int, int, int]]:
    readings = delivery.inputs.get("readings", [])
    return [
        (int(channel), epoch_seconds(datetime.fromisoformat(start)), int(revision))
        for channel, start, revision in readings
    ]


def _durations(offers: list[Offer]) -> dict[tuple[int, int], int]:
    """Return each delivery reading's duration by (channel, start): lineage runs need it."""
    spans: dict[int, list[int]] = {}
    for offer in offers:
        delivery = _current(offer)
        if delivery is None:
            continue
        for channel, start, _ in _reading_keys(delivery):
            low, high = spans.get(channel, [start, start])
            spans[channel] = [min(low, start), max(high, start)]
    durations: dict[tuple[int, int], int] = {}
    for channel, (low, high) in spans.items():
        for moment, duration in Reading.objects.filter(
            channel_id=channel,
            start__gte=datetime.fromtimestamp(low, tz=UTC),
            start__lte=datetime.fromtimestamp(high, tz=UTC),
        ).values_list("start", "duration_s"):
            durations[(channel, epoch_seconds(moment))] = duration
    return durations


def _site_prefix(offer: Offer, many_sites: bool) -> str:
    return f"{offer.enrollment.site.account_number}: " if many_sites else ""


def _event_name(offer: Offer, zone: ZoneInfo) -> str:
    local = offer.event.starts_at.astimezone(zone)
    test = " test" if offer.event.kind == DispatchEvent.Kind.TEST else ""
    return f"the {day_label(local)}{test} grid event"


def _record(result: RuleLines, offer: Offer, delivery: Delivery) -> str:
    result.event_results.append(
        run_lineage.EventResult(
            event_id=offer.event_id,
            offer_id=offer.pk,
            delivery_id=delivery.pk,
            readings_sha256=delivery.readings_sha256,
            rule_set_id=delivery.rule_set_id,
            amount=delivery.amount,
        )
    )
    return f"event {offer.event_id}, offer {offer.pk}, delivery {delivery.pk}"


def _delivery_rule(delivery: Delivery) -> program_queries.RuleInForce:
    rule = delivery.inputs["rule"]
    return program_queries.RuleInForce(
        rule_id=rule["rule_id"],
        rule_set_id=rule["rule_set_id"],
        version=rule["version"],
        name=rule["name"],
        kind=program_rules.RuleKind(rule["kind"]),
        parameters=None,  # type: ignore[arg-type]
    )


def _offer_line(
    offer: Offer,
    delivery: Delivery,
    inputs: EventInputs,
    prefix: str,
    result: RuleLines,
    *,
    currency: str,
) -> None:
    rule = _delivery_rule(delivery)
    event_result = _record(result, offer, delivery)
    common = {
        "rule_version": rule_version(rule_id=rule.rule_id, version=rule.version),
        "event_result": event_result,
        "lineage": runs_from_keys(_reading_keys(delivery), inputs.durations),
    }
    site = offer.enrollment.site_id
    name = _event_name(offer, inputs.zone)
    detail: dict[str, object] = {
        "event_id": offer.event_id,
        "offer_id": offer.pk,
        "delivery_id": delivery.pk,
        "reason": delivery.reason,
    }
    if not delivery.settleable:
        result.add(
            not_settleable(
                f"event{offer.event_id}:site{site}",
                f"{prefix}{name}",
                delivery.reason,
                **common,
            ),
            rule_set_id=rule.rule_set_id,
        )
        return
    price = Decimal(delivery.inputs["price_per_kwh"])
    if rule.kind is program_rules.RuleKind.ACCEPTED_OFFER:
        commitment = delivery.inputs.get("commitment", {})
        delivered = kwh_of_wh(delivery.delivered_wh or 0)
        kwh = kwh_of_wh(Decimal(commitment.get("paid_wh", delivery.delivered_wh or 0)))
        label = (
            f"Delivered {plain(delivered, 1)} kWh during {name} "
            f"at {unit_price(price, currency=currency)}"
        )
        if kwh < delivered:
            committed = kwh_of_wh(Decimal(commitment["committed_wh"]))
            label += f", paid up to your {plain(committed, 1)} kWh commitment"
        shortfall = Decimal(commitment.get("shortfall_wh", "0"))
        if shortfall:
            charge = Decimal(commitment["shortfall_charge"])
            less = money(charge, currency=currency)
            label += f", less {less} for {plain(kwh_of_wh(shortfall), 1)} kWh short"
        detail["commitment"] = commitment
    else:
        kwh = kwh_of_wh(delivery.incremental_wh or 0)
        label = (
            f"Delivered {plain(kwh, 1)} kWh more than your usual use during {name} "
            f"at {unit_price(price, currency=currency)}"
        )
        if delivery.reason:
            label += f" ({delivery.reason})"
    result.add(
        ComputedLine(
            kind=rule.kind.value,
            label=f"{prefix}{label}",
            match_key=match_key(
                rule.kind.value,
                rule.name,
                inputs.fingerprints[rule.rule_id],
                f"event{offer.event_id}",
                f"site{site}",
            ),
            kwh=kwh,
            price=price,
            amount=delivery.amount,
            detail=detail,
            **common,  # type: ignore[arg-type]
        ),
        rule_set_id=rule.rule_set_id,
    )


def _event_lines(
    offers: list[Offer], inputs: EventInputs, many_sites: bool, result: RuleLines, currency: str
) -> None:
    for offer in offers:
        if offer.status != Offer.Status.ACCEPTED:
            continue  # nothing is due for a declined, expired or unconfirmed offer
        prefix = _site_prefix(offer, many_sites)
        delivery = _current(offer)
        if delivery is None:
            result.add(
                not_settleable(
                    f"event{offer.event_id}:site{offer.enrollment.site_id}",
                    f"{prefix}{_event_name(offer, inputs.zone)}",
                    "the delivery has not been measured yet",
                ),
                rule_set_id=None,
            )
        elif delivery.rule_kind in PAID_KINDS:
            _offer_line(offer, delivery, inputs, prefix, result, currency=currency)


def _capacity_line(
    season: Season,
    offers: list[Offer],
    inputs: EventInputs,
    prefix: str,
    result: RuleLines,
    *,
    currency: str,
) -> None:
    rule = season.rule
    site = offers[0].enrollment.site_id
    key = match_key(
        "CAPACITY",
        rule.name,
        inputs.fingerprints[rule.rule_id],
        f"season{season.year}",
        f"site{site}",
    )
    version = rule_version(rule_id=rule.rule_id, version=rule.version)
    hours: list[performance.EventHours] = []
    keys: list[tuple[int, int, int]] = []
    results = []
    for offer in offers:
        delivery = _current(offer)
        name = _event_name(offer, inputs.zone)
        if delivery is None or not delivery.settleable:
            reason = delivery.reason if delivery else "the delivery has not been measured yet"
            result.add(
                not_settleable(
                    f"capacity:season{season.year}:site{site}",
                    f"{prefix}{season.year} season capacity",
                    f"{name}: {reason}",
                    rule_version=version,
                ),
                rule_set_id=rule.rule_set_id,
            )
            return
        duration = Decimal((offer.event.ends_at - offer.event.starts_at).total_seconds()) / 3600
        hours.append(performance.EventHours(duration, delivery.delivered_wh))
        keys.extend(_reading_keys(delivery))
        results.append(_record(result, offer, delivery))
    capacity = performance.seasonal_capacity_amount(
        events=hours, price_per_kw=season.parameters.price_per_kw
    )
    average = capacity.average_kw.quantize(Decimal("0.001"))
    result.add(
        ComputedLine(
            kind="CAPACITY",
            label=(
                f"{prefix}Averaged {plain(average, 1)} kW over {plain(capacity.event_hours, 0)} "
                f"event hours of the {season.year} season at "
                f"{unit_price(season.parameters.price_per_kw, currency=currency, unit='kW')}"
            ),
            match_key=key,
            kwh=kwh_of_wh(capacity.delivered_wh),
            price=season.parameters.price_per_kw,
            amount=capacity.amount,
            rule_version=version,
            event_result=f"{len(offers)} events of the {season.year} season"[:60],
            lineage=runs_from_keys(keys, inputs.durations),
            detail={
                "unit": "kW",
                "average_kw": str(capacity.average_kw),
                "event_hours": str(capacity.event_hours),
                "events": results,
            },
        ),
        rule_set_id=rule.rule_set_id,
    )


def lines_for(
    *, participant_id: int, enrollments: list[SiteEnrollment], inputs: EventInputs, currency: str
) -> RuleLines:
    """Return the participant's event lines: each accepted offer, then each season's capacity.

    Labels write prices and amounts in `currency` (the program's).
    """
    result = RuleLines()
    many_sites = len(enrollments) > 1
    _event_lines(inputs.offers.get(participant_id, []), inputs, many_sites, result, currency)
    for season in inputs.seasons:
        by_site: dict[int, list[Offer]] = defaultdict(list)
        for offer in inputs.season_offers.get((season.year, participant_id), []):
            by_site[offer.enrollment.site_id].append(offer)
        for site_id in sorted(by_site):
            offers = by_site[site_id]
            _capacity_line(
                season,
                offers,
                inputs,
                _site_prefix(offers[0], many_sites),
                result,
                currency=currency,
            )
    return result
