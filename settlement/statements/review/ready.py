"""Telling a participant's people that a statement is ready, once its approval commits."""

from datetime import datetime

from settlement import formatting
from settlement.events.models import Offer
from settlement.notices import operations as notices
from settlement.notices.models import NotificationKind
from settlement.statements.models import Statement, StatementLine
from settlement.statements.review import event_results


def _events_settled(statement: Statement) -> list[str]:
    offer_ids = [
        int(offer_id)
        for offer_id in StatementLine.objects.filter(
            statement=statement, kind__in=event_results.PAYING_KINDS
        ).values_list("detail__offer_id", flat=True)
        if offer_id is not None
    ]
    offers = list(
        Offer.objects.filter(pk__in=offer_ids)
        .select_related("event__program")
        .order_by("event__starts_at", "pk")
    )
    found = event_results.results_of(offers=offers)
    rows = []
    for offer in offers:
        result = found.get(offer.pk)
        if result is None:
            continue
        when = formatting.local_time(
            moment=offer.event.starts_at, zone=offer.event.program.timezone, today=formatting.NO_DAY
        )
        rows.append(f"- {offer.event.program.name} event on {when}: {result.sentence}")
    return rows


def tell_statement_ready(*, statement_id: int, now: datetime) -> bool:
    """Tell the statement's participant it is ready; return whether it was (approved or
    released; a statement voided or not found meanwhile is told nothing)."""
    statement = (
        Statement.objects.filter(pk=statement_id, state__in=Statement.BOOKED_STATES)
        .select_related("run__program", "participant")
        .first()
    )
    if statement is None:
        return False
    run = statement.run
    period = formatting.period(start=run.period_start, end=run.period_end)
    total = formatting.money(amount=statement.total, currency=statement.currency)
    events = _events_settled(statement)
    body = f"Your {run.program.name} statement for {period} is ready: {total}.\n"
    if events:
        body += "\nEvents it pays:\n" + "\n".join(events) + "\n"
    body += "\nIt is paid with your next payout; the statement shows every line's arithmetic.\n"
    notices.notify(
        participant_id=statement.participant_id,
        message=notices.Message(
            kind=NotificationKind.STATEMENT_READY,
            key=f"statement:{statement.pk}:ready",
            subject=f"Your statement for {period} is ready: {total}",
            body=body,
            link=f"/statements/{statement.pk}/",
        ),
        now=now,
    )
    return True
