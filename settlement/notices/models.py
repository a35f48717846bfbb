"""Notifications a person was sent (the portal's list) and the kinds they turned off."""

from typing import ClassVar

from django.db import models
from django.db.models import Q

from accounts.models import Participant, User


class NotificationKind(models.TextChoices):
    """What a notification is about; each kind can be turned off per person."""

    NEW_OFFER = "NEW_OFFER", "A new offer"
    OFFER_CHANGED = "OFFER_CHANGED", "An offer's event changed or was cancelled"
    DEADLINE_REMINDER = "DEADLINE_REMINDER", "A reminder before an offer's deadline"
    STANDING_ANSWER = "STANDING_ANSWER", "An offer answered for you by a standing rule"
    RESULTS_MEASURED = "RESULTS_MEASURED", "An event's results measured"
    STATEMENT_READY = "STATEMENT_READY", "A statement ready"
    PAYOUT_SENT = "PAYOUT_SENT", "A payout sent"
    PAYOUT_FAILED = "PAYOUT_FAILED", "A payout failed or came back"


class Preference(models.Model):
    """Whether a person is told about one kind; no row means yes (every kind starts on)."""

    Kind = NotificationKind

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notice_preferences")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "kind"], name="notice_preference_once"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notice_preference_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {'on' if self.enabled else 'off'} for {self.user_id}"


class Notification(models.Model):
    """One thing one person was told, by email and in the portal, read or not.

    `key` names the thing (an offer's version, a delivery, a statement, a payout): the same
    key again for the same person records and sends nothing, so a retried task never tells
    anyone twice.
    """

    Kind = NotificationKind

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=120)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # The portal page it is about, a path ("/offers/#offer-12").
    link = models.CharField(max_length=300)
    # The IANA zone its time is shown in: the participant's (its first site's).
    time_zone = models.CharField(max_length=64, default="UTC")
    # The address the email went to ("" when none was sent).
    emailed_to = models.EmailField(blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_thing"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["user", "-created_at"], name="notification_newest"),
        ]

    def __str__(self) -> str:
        return f"notification {self.pk} ({self.kind}) to {self.user_id}"
