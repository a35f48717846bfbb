"""Telling an owner their event's results as soon as its delivery is measured.

The estimate is the measured delivery's amount under the program's rule; the statement
confirms it (`statements.review.event_results` says what it settled and why it differs).
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from settlement import formatting
from settlement.events.models import Delivery, Offer
from settlement.notices import operations as notices
from settlement.notices.models import NotificationKind

SEASONAL = "SEASONAL_CAPACITY"


def summary(*, offer: Offer, delivery: Delivery) -> str:
    """Return what a measured delivery means for the owner, e.g. "delivered 14.2 kWh,
    estimated $28.40, to be confirmed in your statement"."""
    delivered = formatting.energy(kwh=(delivery.delivered_wh or Decimal(0)) / 1000)
    if not delivery.settleable:
        return f"delivered {delivered} so far; not measurable yet: {delivery.reason}"
    if delivery.rule_kind == SEASONAL:
        return f"delivered {delivered}; seasonal capacity is paid once per season in a statement"
    amount = formatting.money(amount=delivery.amount, currency=offer.event.program.currency)
    return f"delivered {delivered}, estimated {amount}, to be confirmed in your statement"


def _when(offer: Offer) -> str:
    event, zone = offer.event, offer.event.program.timezone
    # Emails always carry the year: one read months later must still say which day it was.
    starts = formatting.local_time(moment=event.starts_at, zone=zone, today=formatting.NO_DAY)
    ends = event.ends_at.astimezone(ZoneInfo(zone))
    return f"{starts} to {formatting.clock(moment=ends)}"


def delivery_measured(*, offer: Offer, delivery: Delivery, now: datetime) -> None:
    """Tell the owner, once the measurement commits, the results of an accepted event.

    Told once per offer (the notification's key): a later recomputation from revised
    readings shows on the offer and in the statement, not in another email.
    """
    if offer.status != Offer.Status.ACCEPTED or not delivery.settleable:
        return
    program = offer.event.program
    when = _when(offer)
    result = summary(offer=offer, delivery=delivery)
    notices.notify_after_commit(
        participant_id=offer.participant_id,
        message=notices.Message(
            kind=NotificationKind.RESULTS_MEASURED,
            key=f"offer:{offer.pk}:results",
            subject=f"Results of your {program.name} event on {when}",
            body=(
                f"Your {program.name} event on {when}: you {result}.\n\n"
                "The amount is confirmed when the period's statement is approved; if it "
                "differs, the statement says why.\n"
            ),
            link=f"/offers/#offer-{offer.pk}",
        ),
        now=now,
    )
