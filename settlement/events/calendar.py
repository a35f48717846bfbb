"""An accepted offer's event as an iCalendar (RFC 5545) entry an owner adds to a calendar.

The entry keeps one UID per offer, so a calendar that imports it again updates the entry
it already has: SEQUENCE is the event's modification number (a change moves the entry),
and a cancelled event, or an offer no longer accepted, is STATUS:CANCELLED. Times are the
event's local times in the program's zone (DTSTART;TZID=...), with that zone's VTIMEZONE.
"""

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings

from settlement import formatting
from settlement.errors import DomainError
from settlement.events.models import Offer, OfferResponse

PRODUCT = "-//V2G Settlement//Event calendar//EN"
MEDIA_TYPE = "text/calendar"
# An offer in these states has its entry (a calendar may hold it): accepted, or accepted
# before its event changed.
ACCEPTED_STATUSES = (Offer.Status.ACCEPTED, Offer.Status.NEEDS_CONFIRMATION)


class NotAccepted(DomainError):
    """Only an accepted offer's event goes in a calendar."""

    code = "offer_not_accepted"
    http_status = 409


def filename(offer: Offer) -> str:
    """Return the file name an entry is downloaded or attached as."""
    return f"event-{offer.event_id}-offer-{offer.pk}.ics"


def uid(offer: Offer) -> str:
    """Return the entry's UID: the same for every version of the offer's event."""
    host = urlsplit(str(settings.SITE_URL)).hostname or "v2g-settlement"
    return f"offer-{offer.pk}@{host}"


def has_entry(offer: Offer) -> bool:
    """Return whether the offer's event belongs in a calendar: accepted (or accepted before
    its event changed), or accepted and then cancelled (the entry then takes it off)."""
    if offer.status in ACCEPTED_STATUSES:
        return True
    return (
        offer.status == Offer.Status.CANCELLED
        and offer.responses.filter(answer=OfferResponse.Answer.ACCEPT).exists()
    )


def require_calendar(offer: Offer) -> None:
    """Raise NotAccepted unless the offer's event may be put in a calendar."""
    if not has_entry(offer):
        raise NotAccepted(
            f"offer {offer.pk} is {offer.get_status_display().lower()}: only an accepted "
            "offer's event goes in a calendar",
            details={"field": "offer_id", "status": offer.status},
        )


def _description(offer: Offer, link: str) -> str:
    event, program = offer.event, offer.event.program
    price = formatting.price(amount=event.price_per_kwh, currency=program.currency)
    lines = [f"{program.name}: export to the grid at {price}."]
    if offer.committed_kw is not None:
        lines.append(f"You committed {offer.committed_kw.normalize():f} kW.")
    if offer.ceiling_amount is not None:
        lines.append(
            "The most you can earn: "
            f"{formatting.money(amount=offer.ceiling_amount, currency=program.currency)}."
        )
    lines.append(f"Your offer: {link}")
    return "\n".join(lines)


def entry(*, offer: Offer, stamp: datetime) -> bytes:
    """Return the offer's event as an .ics file (a VCALENDAR with one VEVENT).

    `stamp` is DTSTAMP, when the entry was made (UTC). Callers check `require_calendar`.
    """
    event = offer.event
    zone = ZoneInfo(event.program.timezone)
    link = f"{str(settings.SITE_URL).rstrip('/')}/offers/#offer-{offer.pk}"
    cancelled = event.cancelled_at is not None or offer.status == Offer.Status.CANCELLED
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    vevent = icalendar.Event()
    vevent.add("uid", uid(offer))
    vevent.add("dtstamp", stamp.astimezone(ZoneInfo("UTC")))
    vevent.add("dtstart", event.starts_at.astimezone(zone))
    vevent.add("dtend", event.ends_at.astimezone(zone))
    vevent.add("sequence", event.modification)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("summary", f"{'Cancelled: ' if cancelled else ''}V2G export: {event.program.name}")
    vevent.add("description", _description(offer, link))
    vevent.add("url", link)
    vevent.add("transp", "OPAQUE")
    calendar.add_component(vevent)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
