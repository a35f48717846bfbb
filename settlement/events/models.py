"""Dispatch events, the offers they make, owners' answers and each participant's delivery."""

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

from accounts.models import Charger, Enrollment, Participant, Program, User
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
    EXPORT_PRICE = "EXPORT_PRICE", "Export price (per kWh, in the program's currency)"
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
    # The wear cost of delivering the offer and the estimate less it (docs/events.md).
    wear_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Of the current answer: the reserve stated, and the standing rule version that gave it
    # (None when given by hand or not answered).
    reserve_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    rule_version = models.ForeignKey(
        "StandingRuleVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
    """One answer to an offer, by hand or by a standing rule: append-only history.

    An offer may be answered again (accept to decline, decline to accept, another kW) until
    its deadline; every answer is kept, and the latest (the offer's `status` and
    `committed_kw` follow it) is the one delivery and settlement read.
    """

    Answer = OfferAnswer

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="responses")
    modification = models.PositiveIntegerField()
    answer = models.CharField(max_length=7, choices=Answer.choices)
    committed_kw = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    # The battery share to keep (percent of usable capacity), for the aggregator or charger
    # to honour; None: the owner stated none.
    reserve_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # By hand: who answered. By a standing rule: the rule version that answered (no user).
    responded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule_version = models.ForeignKey(
        "StandingRuleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
    )
    # What this answer changed from the one before it ("first answer", "accept -> decline",
    # "7.5 kW -> 5 kW"), as the owner reads it in the history.
    change = models.CharField(max_length=200, default="")
    responded_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(answer__in=OfferAnswer.values), name="offer_answer_valid"
            ),
            models.CheckConstraint(
                condition=Q(responded_by__isnull=False) | Q(rule_version__isnull=False),
                name="offer_response_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(reserve_percent__isnull=True) | Q(reserve_percent__lte=100),
                name="offer_response_reserve_percent",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["offer", "responded_at"])]

    def __str__(self) -> str:
        return f"{self.answer} of offer {self.offer_id} at {self.responded_at:%Y-%m-%d %H:%M:%S}"


class StandingRule(models.Model):
    """A named rule that answers a participant's offers for them; its terms are versions.

    The rule itself holds nothing that decides money: every change (and disabling) is a new
    `StandingRuleVersion`, and an answer names the version that gave it, as statements name
    the rule set version that priced them.
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="standing_rules"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"standing rule {self.pk} of {self.participant_id}"


class StandingRuleVersion(models.Model):
    """One version of a standing rule's terms (never edited: a change is a new version).

    Matching (see `settlement.events.standing`): the offer is at the charger's site (when a
    charger is named), the event's local start falls on an allowed weekday and the event lies
    within [start_hour, end_hour) local, fewer than `monthly_limit` events are accepted in
    that local month; then the offer is accepted when its price is at least
    `min_price_per_kwh` and its net after battery wear at least `min_net_amount` (each when
    set), else declined when `decline_below`, else left to the next rule.
    """

    rule = models.ForeignKey(StandingRule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=80)
    # Lower first: the first matching rule answers.
    position = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True)
    charger = models.ForeignKey(
        Charger, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    min_price_per_kwh = models.DecimalField(max_digits=12, decimal_places=5, null=True, blank=True)
    min_net_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    decline_below = models.BooleanField(default=False)
    max_kw = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    # ISO weekdays as digits, Monday 1 to Sunday 7: "12345" is Monday to Friday.
    weekdays = models.CharField(max_length=7, default="1234567")
    start_hour = models.PositiveSmallIntegerField(default=0)
    end_hour = models.PositiveSmallIntegerField(default=24)
    monthly_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    reserve_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["rule", "version"], name="standing_rule_version_once"),
            models.CheckConstraint(
                condition=Q(start_hour__lt=F("end_hour")) & Q(end_hour__lte=24),
                name="standing_rule_hours",
            ),
            models.CheckConstraint(
                condition=Q(min_price_per_kwh__isnull=False) | Q(min_net_amount__isnull=False),
                name="standing_rule_has_a_condition",
            ),
            models.CheckConstraint(
                condition=Q(max_kw__isnull=True) | Q(max_kw__gt=0),
                name="standing_rule_max_kw_positive",
            ),
            models.CheckConstraint(
                condition=Q(reserve_percent__isnull=True) | Q(reserve_percent__lte=100),
                name="standing_rule_reserve_percent",
            ),
            models.CheckConstraint(
                condition=Q(monthly_limit__isnull=True) | Q(monthly_limit__gt=0),
                name="standing_rule_monthly_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"standing rule {self.rule_id} v{self.version} '{self.name}'"


class BatterySetting(models.Model):
    """What the owner says of the battery behind a charger: usable capacity and wear cost.

    Append-only: the latest row per charger counts, earlier ones explain earlier offers.
    """

    charger = models.ForeignKey(Charger, on_delete=models.PROTECT, related_name="+")
    usable_kwh = models.DecimalField(max_digits=8, decimal_places=2)
    wear_cost_per_kwh = models.DecimalField(max_digits=10, decimal_places=5)
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(usable_kwh__gt=0), name="battery_usable_positive"),
            models.CheckConstraint(
                condition=Q(wear_cost_per_kwh__gte=0), name="battery_wear_not_negative"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["charger", "set_at"])]

    def __str__(self) -> str:
        return f"battery of charger {self.charger_id} at {self.set_at:%Y-%m-%d %H:%M}"


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
