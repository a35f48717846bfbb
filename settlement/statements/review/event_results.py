"""What an owner's accepted events measured, estimated and settled, in one sentence each.

Before its statement is approved an event shows its measured delivery's amount as an
estimate ("delivered 14.2 kWh, estimated $28.40, to be confirmed in your statement");
once a statement paying it is approved, the settled amount replaces the estimate, and
when the two differ the sentence says why (the delivery was measured again from revised
readings, or the statement's line paid a different amount).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from settlement import formatting
from settlement.events import results
from settlement.events.models import Delivery, Offer
from settlement.statements.models import Statement, StatementLine

PAYING_KINDS = (StatementLine.Kind.ACCEPTED_OFFER, StatementLine.Kind.EVENT_INCREMENTAL)


@dataclass(frozen=True)
class EventResult:
    """One accepted offer's result as its owner reads it."""

    offer_id: int
    # The amount the owner was first told (the first settleable delivery), and now.
    estimate: Decimal | None
    settled: Decimal | None
    statement_id: int | None
    sentence: str


def _settled_lines(offer_ids: list[int]) -> dict[int, StatementLine]:
    """Return, per offer, the line of the first approved statement that paid its event."""
    lines = (
        StatementLine.objects.filter(
            statement__state__in=Statement.BOOKED_STATES,
            kind__in=PAYING_KINDS,
            detail__offer_id__in=offer_ids,
        )
        .select_related("statement__run")
        .order_by("statement__approved_at", "statement_id", "number")
    )
    found: dict[int, StatementLine] = {}
    for line in lines:
        found.setdefault(int(line.detail["offer_id"]), line)
    return found


def _deliveries(offer_ids: list[int]) -> dict[int, list[Delivery]]:
    """Return every delivery of each offer, oldest first (superseded ones included)."""
    found: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in Delivery.objects.filter(offer_id__in=offer_ids).order_by("computed_at", "pk"):
        found[delivery.offer_id].append(delivery)
    return found


def _settled_sentence(
    *, current: Delivery, first: Delivery | None, line: StatementLine
) -> tuple[str, Decimal | None]:
    currency = line.statement.currency
    delivered = formatting.energy(kwh=(current.delivered_wh or Decimal(0)) / 1000)
    period = formatting.period(
        start=line.statement.run.period_start, end=line.statement.run.period_end
    )
    settled = formatting.money(amount=line.amount, currency=currency)
    sentence = f"delivered {delivered}, settled {settled} in your {period} statement"
    estimate = first.amount if first is not None else None
    if estimate is None or estimate == line.amount:
        return sentence, estimate
    before = formatting.money(amount=estimate, currency=currency)
    difference = formatting.money(amount=abs(line.amount - estimate), currency=currency)
    more_or_less = "more" if line.amount > estimate else "less"
    if first is not None and line.detail.get("delivery_id") != first.pk:
        why = "the delivery was measured again from revised readings after the estimate"
    else:
        why = "the statement's line paid it differently (see the line for its arithmetic)"
    return (
        f"{sentence}: {difference} {more_or_less} than the estimate of {before}, because {why}",
        estimate,
    )


def results_of(*, offers: list[Offer]) -> dict[int, EventResult]:
    """Return the result of each accepted, measured offer among `offers`, by offer id.

    A fixed number of queries whatever the number of offers (the offers page lists all).
    """
    accepted = [offer for offer in offers if offer.status == Offer.Status.ACCEPTED]
    ids = [offer.pk for offer in accepted]
    if not ids:
        return {}
    deliveries = _deliveries(ids)
    lines = _settled_lines(ids)
    found: dict[int, EventResult] = {}
    for offer in accepted:
        measured = deliveries.get(offer.pk, [])
        current = next((d for d in reversed(measured) if d.superseded_at is None), None)
        if current is None:
            continue
        first = next((d for d in measured if d.settleable), None)
        line = lines.get(offer.pk)
        if line is None:
            found[offer.pk] = EventResult(
                offer_id=offer.pk,
                estimate=current.amount if current.settleable else None,
                settled=None,
                statement_id=None,
                sentence=results.summary(offer=offer, delivery=current),
            )
            continue
        sentence, estimate = _settled_sentence(current=current, first=first, line=line)
        found[offer.pk] = EventResult(
            offer_id=offer.pk,
            estimate=estimate,
            settled=line.amount,
            statement_id=line.statement_id,
            sentence=sentence,
        )
    return found
