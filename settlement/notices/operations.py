"""Writes of notices: tell a participant's people (email and the portal), preferences, reads.

`notify` is the one way an email reaches an owner: offers, reminders, standing answers,
results, statements and payouts all go through it, so a kind a person turned off is never
sent to them, and what was sent is listed in their portal.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from accounts.models import User
from settlement.errors import DomainError
from settlement.notices import queries
from settlement.notices.models import Notification, NotificationKind, Preference

# Where a person turns kinds on and off, linked from every email.
PREFERENCES_PATH = "/notifications/#preferences"


class PreferenceInvalid(DomainError):
    """A preference names no kind there is, or its value is not true or false."""

    code = "preference_invalid"


@dataclass(frozen=True)
class Attachment:
    """A file sent with the email (an event's calendar entry)."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Message:
    """What to tell: its kind, the thing it is about (`key`), the text and the page."""

    kind: NotificationKind
    # Names the thing told about ("offer:12:modification:1"): told once per person.
    key: str
    subject: str
    body: str
    # The portal page it is about, a path: the email links to it and so does the list.
    link: str
    attachments: tuple[Attachment, ...] = ()


@dataclass
class Told:
    """Who was emailed, who had turned the kind off, and who had been told already."""

    emailed: list[str] = field(default_factory=list)
    turned_off: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def site_url(path: str) -> str:
    """Return the absolute address of a portal path, as emails write it."""
    return f"{str(settings.SITE_URL).rstrip('/')}{path}"


def _email_body(message: Message) -> str:
    label = NotificationKind(message.kind).label
    return (
        f"{message.body.rstrip()}\n\n"
        f"See it in the portal: {site_url(message.link)}\n"
        f'You get these emails while "{label}" is on: {site_url(PREFERENCES_PATH)}\n'
    )


def _send(message: Message, address: str) -> None:
    email = EmailMessage(message.subject, _email_body(message), None, [address])
    for attachment in message.attachments:
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    email.send(fail_silently=False)


def notify(*, participant_id: int, message: Message, now: datetime) -> Told:
    """Tell the participant's people (`queries.recipients`) by email and in their portal.

    A person who turned the kind off is sent nothing and nothing is recorded for them; one
    already told about `message.key` is not told again. Each notification row commits with
    its email sent, so a failed send records nothing (the caller may retry). A participant
    with no member who may act is emailed at its own address, with no portal row.
    Raises whatever the mail backend raises.
    """
    told = Told()
    people = queries.recipients(participant_id=participant_id)
    if not people:
        address = queries.fallback_address(participant_id=participant_id)
        if address:
            _send(message, address)
            told.emailed.append(address)
        return told
    off = queries.turned_off(user_ids=[person.pk for person in people])
    zone = queries.zone_of(participant_id=participant_id)
    for person in people:
        if (person.pk, str(message.kind)) in off:
            told.turned_off.append(person.email)
            continue
        try:
            with transaction.atomic():
                Notification.objects.create(
                    user=person,
                    participant_id=participant_id,
                    kind=message.kind,
                    key=message.key[:120],
                    subject=message.subject[:300],
                    body=message.body,
                    link=message.link[:300],
                    time_zone=zone,
                    emailed_to=person.email,
                    created_at=now,
                )
                _send(message, person.email)
        except IntegrityError:
            told.already.append(person.email)
            continue
        told.emailed.append(person.email)
    return told


def notify_after_commit(*, participant_id: int, message: Message, now: datetime) -> None:
    """Call `notify` once the caller's transaction commits (at once outside one)."""
    transaction.on_commit(lambda: notify(participant_id=participant_id, message=message, now=now))


def _enabled(value: object, kind: str) -> bool:
    if isinstance(value, bool):
        return value
    raise PreferenceInvalid(f"{kind}: {value!r} is not true or false", details={"field": kind})


def set_preferences(*, user: User, changes: dict[str, object], now: datetime) -> dict[str, bool]:
    """Return every kind with whether `user` is told about it, after `changes` (kind: bool).

    A person's preferences are their own: they answer for no participant. Raises
    PreferenceInvalid naming the first unknown kind or non-boolean value; nothing is
    changed then.
    """
    checked: dict[str, bool] = {}
    for kind, value in changes.items():
        if kind not in NotificationKind.values:
            raise PreferenceInvalid(
                f"{kind}: no such kind of notification; use one of "
                + ", ".join(NotificationKind.values),
                details={"field": kind},
            )
        checked[kind] = _enabled(value, kind)
    with transaction.atomic():
        for kind, enabled in checked.items():
            Preference.objects.update_or_create(
                user=user, kind=kind, defaults={"enabled": enabled, "updated_at": now}
            )
    return queries.preferences_of(user=user)


def mark_read(*, user: User, notification_ids: list[int] | None, now: datetime) -> int:
    """Mark `user`'s notifications read (all of them when `notification_ids` is None).

    Returns how many were unread before; ids of notifications sent to someone else are
    ignored like ids that do not exist (the caller sees only their own).
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=now)
