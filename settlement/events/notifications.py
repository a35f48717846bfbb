"""Emails to owners about their offers, rendered from templates/emails/."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from settlement.events.models import Offer


def _context(offer: Offer) -> dict[str, object]:
    event = offer.event
    zone = ZoneInfo(event.program.timezone)
    return {
        "offer": offer,
        "event": event,
        "program": event.program,
        "starts": event.starts_at.astimezone(zone),
        "ends": event.ends_at.astimezone(zone),
        "deadline": event.response_deadline.astimezone(zone),
        "zone": event.program.timezone,
        "changed": offer.notified_modification is not None
        or offer.status == Offer.Status.NEEDS_CONFIRMATION,
        # The standing rule version that gave the current answer, named in the email.
        "rule": offer.rule_version,
        "site_url": getattr(settings, "SITE_URL", ""),
    }


def _send(template: str, offer: Offer) -> None:
    context = _context(offer)
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.txt", context)
    send_mail(subject, body, None, [offer.participant.email])


def send_offer_notice(*, offer: Offer) -> None:
    """Tell the owner about a new offer, that the event changed and needs confirming, or
    that their standing rule answered it (naming the rule) and until when they may change it."""
    _send("offer_notice", offer)


def send_reminder(*, offer: Offer) -> None:
    """Remind the owner the deadline to answer is near."""
    _send("offer_reminder", offer)


def send_cancellations(*, offers: list[Offer]) -> None:
    """Tell each owner the event was cancelled (nothing will be paid for it)."""
    for offer in offers:
        _send("offer_cancelled", offer)
