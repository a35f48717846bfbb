"""Dispatch events, the offers they make, owners' answers and each participant's delivery."""

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

from accounts.models import Enrollment, Participant, Program, User
from settlement.programs.models import RuleSet


# The choices live at module level so that each model's check constraint (in its Meta, which
# cannot see the model's own names) uses the same enum as its field: one list per idea.
class EventKind(models.TextChoices):
    """Why an event is called."""

    EMERGENCY = "EMERGENCY", "Emergency"
    ECONOMIC = "ECONOMIC", "Economic"
    TEST = "TEST", "Test"


class EventSignal(models.TextChoices):
    """What an event asks of the chargers."""

    # OpenADR 3 payload type names, so a bridge to a utility's VTN is direct.
    EXPORT_PRICE = "EXPORT_PRICE", "Export price ($/kWh)"
    EXPORT_CAPACITY_LIMIT = "EXPORT_CAPACITY_LIMIT", "Export capacity limit (kW)"


class OfferStatus(models.TextChoices):
    """Where an offer's answer stands."""

    OPEN = "OPEN", "Waiting for an answer"
    ACCEPTED = "ACCEPTED", "Accepted"
    DECLINED = "DECLINED", "Declined"
    NEEDS_CONFIRMATION = "NEEDS_CONFIRMATION", "Changed: needs confirmation"
    EXPIRED = "EXPIRED", "No answer by the deadline"
    CANCELLED = "CANCELLED", "Event cancelled"


class OfferAnswer(models.TextChoices):
    """What an owner answered."""

    ACCEPT = "ACCEPT", "Accept"
    DECLINE = "DECLINE", "Decline"


class DispatchEvent(models.Model):
    """A request to export over [starts_at, ends_at) (UTC), with an OpenADR-style signal.

    `modification` is bumped on every change (OpenADR's modification number); the status
    follows from the window, `cancelled_at` and the clock (see `queries.event_status`).
    """

    Kind = EventKind
    Signal = EventSignal

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    signal = models.CharField(max_length=24, choices=Signal.choices, default=Signal.EXPORT_PRICE)
    price_per_kwh = models.DecimalField(max_digits=12, decimal_places=5)
    target_kw = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    response_deadline = models.DateTimeField()
    modification = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    modified_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_window"),
            models.CheckConstraint(
                condition=Q(response_deadline__lte=F("starts_at")),
                name="event_deadline_before_start",
            ),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            models.CheckConstraint(
                condition=Q(signal__in=EventSignal.values), name="event_signal_valid"
            ),
            models.CheckConstraint(condition=Q(price_per_kwh__gte=0), name="event_price_positive"),
            models.CheckConstraint(
                condition=Q(target_kw__isnull=True) | Q(target_kw__gt=0),
                name="event_target_positive",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["program", "starts_at"])]

    def __str__(self) -> str:
        return f"event {self.pk} of {self.program.code} ({self.starts_at:%Y-%m-%d %H:%M}Z)"


class Offer(models.Model):
    """What one enrolled participant is offered for an event, and where their answer stands."""

    Status = OfferStatus

    event = models.ForeignKey(DispatchEvent, on_delete=models.PROTECT, related_name="offers")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="offers")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="offers")
    # The export channel kind the paying rule settles on, at the enrollment's site.
    channel_kind = models.CharField(max_length=12)
    # Sum of the site's chargers' maximum discharge; None without a charger on record.
    max_kw = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    committed_kw = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    # The event modification the current status answers (or was offered at).
    modification = models.PositiveIntegerField(default=0)
    responded_at = models.DateTimeField(null=True, blank=True)
    # The most the offer can earn and the estimate from the owner's history, with the
    # figures each came from (shown to the owner as "how this was computed").
    ceiling_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    estimate_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    worth = models.JSONField(default=dict)
    # The modification the owner was last told about, and whether the reminder went out.
    notified_modification = models.IntegerField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "enrollment"], name="offer_once_per_event"),
            models.CheckConstraint(condition=Q(status__in=OfferStatus.values), name="offer_status"),
            models.CheckConstraint(
                condition=Q(committed_kw__isnull=True) | Q(committed_kw__gt=0),
                name="offer_committed_kw_positive",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["participant", "status"])]

    def __str__(self) -> str:
        return f"offer {self.pk} of event {self.event_id} to {self.participant_id}"


class OfferResponse(models.Model):
    """An owner's answer to one modification of an event; one answer per modification."""

    Answer = OfferAnswer

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="responses")
    modification = models.PositiveIntegerField()
    answer = models.CharField(max_length=7, choices=Answer.choices)
    committed_kw = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    responded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            # Two answers sent at once: the database keeps exactly one.
            models.UniqueConstraint(
                fields=["offer", "modification"], name="offer_response_once_per_modification"
            ),
            models.CheckConstraint(
                condition=Q(answer__in=OfferAnswer.values), name="offer_answer_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.answer} of offer {self.offer_id} (modification {self.modification})"


class Delivery(models.Model):
    """A participant's measured delivery in an event and the amount due under the rule.

    Recomputed when a reading it used is revised; the earlier computation is kept with
    `superseded_at` set, so every amount shown once can still be explained.
    """

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="deliveries")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    rule_kind = models.CharField(max_length=20)
    settleable = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    baseline_wh = models.DecimalField(max_digits=16, decimal_places=3, null=True, blank=True)
    delivered_wh = models.DecimalField(max_digits=16, decimal_places=3, null=True, blank=True)
    incremental_wh = models.DecimalField(max_digits=16, decimal_places=3, null=True, blank=True)
    average_kw = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # Per event hour: UTC start, local hour, baseline, actual net load, incremental, paid (Wh).
    hours = models.JSONField(default=list)
    # What it was computed from: readings by natural key (channel, start, revision), the
    # baseline days used and skipped, the adjustment, the rule parameters.
    inputs = models.JSONField(default=dict)
    # sha256 of the reading keys: a revised reading changes it, which triggers a recompute.
    readings_sha256 = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["offer"],
                condition=Q(superseded_at__isnull=True),
                name="delivery_one_current_per_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery of offer {self.offer_id} at {self.computed_at:%Y-%m-%d %H:%M}"
