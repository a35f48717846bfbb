"""Emails to owners about their offers, rendered from templates/emails/."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string

from settlement.events import calendar
from settlement.events.models import Offer
from settlement.notices import operations as notices
from settlement.notices.models import NotificationKind


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


def _send(template: str, offer: Offer, *, kind: NotificationKind, key: str, now: datetime) -> None:
    context = _context(offer)
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.txt", context)
    # An entry the owner may have in a calendar goes along when its event changes or is
    # cancelled, so the calendar follows (the same UID, a higher SEQUENCE).
    attachments: tuple[notices.Attachment, ...] = ()
    if calendar.has_entry(offer):
        attachments = (
            notices.Attachment(
                calendar.filename(offer),
                calendar.entry(offer=offer, stamp=now),
                calendar.MEDIA_TYPE,
            ),
        )
    notices.notify(
        participant_id=offer.participant_id,
        message=notices.Message(
            kind=kind,
            key=f"offer:{offer.pk}:{key}",
            subject=subject,
            body=body,
            link=f"/offers/#offer-{offer.pk}",
            attachments=attachments,
        ),
        now=now,
    )


def send_offer_notice(*, offer: Offer, now: datetime) -> None:
    """Tell the owner about a new offer, that the event changed and needs confirming, or
    that their standing rule answered it (naming the rule) and until when they may change it."""
    context = _context(offer)
    if context["rule"] is not None:
        kind = NotificationKind.STANDING_ANSWER
    elif context["changed"]:
        kind = NotificationKind.OFFER_CHANGED
    else:
        kind = NotificationKind.NEW_OFFER
    _send("offer_notice", offer, kind=kind, key=f"notice:{offer.event.modification}", now=now)


def send_reminder(*, offer: Offer, now: datetime) -> None:
    """Remind the owner the deadline to answer is near."""
    _send(
        "offer_reminder",
        offer,
        kind=NotificationKind.DEADLINE_REMINDER,
        key=f"reminder:{offer.event.modification}",
        now=now,
    )


def send_cancellations(*, offers: list[Offer], now: datetime) -> None:
    """Tell each owner the event was cancelled (nothing will be paid for it)."""
    for offer in offers:
        _send(
            "offer_cancelled",
            offer,
            kind=NotificationKind.OFFER_CHANGED,
            key="cancelled",
            now=now,
        )
