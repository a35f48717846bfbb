"""The VTN's own records: clients and tokens, VENs, subscriptions, reports, event origins.

Programs and events are not copied here: an OpenADR program is an `accounts.Program` and an
OpenADR event is a `DispatchEvent`; these rows only hold what OpenADR adds to them.
"""

from typing import ClassVar

from django.db import models
from django.db.models import Q

from accounts.models import Program
from settlement.events.models import DispatchEvent
from settlement.metering.models import Aggregator, Upload

ROLES = ["BL", "VEN"]


class OpenADRClient(models.Model):
    """A system holding OAuth client credentials: a utility's business logic or a VEN.

    The secret is stored hashed (Django's password hasher); it is shown once, when made.
    A VEN client belongs to an aggregator: its resources are that aggregator's participants'.
    """

    class Role(models.TextChoices):
        BL = "BL", "Business logic (utility, DERMS)"
        VEN = "VEN", "VEN (aggregator)"

    name = models.CharField(max_length=128, unique=True)
    role = models.CharField(max_length=3, choices=Role.choices)
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=256)
    # The scopes this client may be granted (and gets when a token request names none).
    scopes = models.JSONField(default=list)
    aggregator = models.ForeignKey(
        Aggregator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="openadr_clients",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "OpenADR client"
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(role__in=ROLES), name="openadr_client_role"),
            # A VEN acts for an aggregator's participants; without one it would see nothing.
            models.CheckConstraint(
                condition=Q(role="BL") | Q(aggregator__isnull=False),
                name="openadr_ven_client_has_aggregator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class AccessToken(models.Model):
    """A bearer token issued by the token endpoint, stored as its SHA-256 only."""

    client = models.ForeignKey(OpenADRClient, on_delete=models.CASCADE, related_name="tokens")
    token_sha256 = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("issued_at")), name="openadr_token_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"token {self.pk} of {self.client.name}"


class Ven(models.Model):
    """A VEN registered by its client (or by a business-logic client for it)."""

    client = models.OneToOneField(OpenADRClient, on_delete=models.PROTECT, related_name="ven")
    ven_name = models.CharField(max_length=128, unique=True)
    attributes = models.JSONField(default=list, blank=True)
    targets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        verbose_name = "VEN"

    def __str__(self) -> str:
        return self.ven_name


class ProgramSettings(models.Model):
    """What an OpenADR event of a program does not carry, and so takes from here.

    A program without a row uses the defaults below (see docs/openadr.md).
    """

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="openadr")
    event_kind = models.CharField(
        max_length=10, choices=DispatchEvent.Kind.choices, default=DispatchEvent.Kind.ECONOMIC
    )
    # Owners may answer until this long before the event starts.
    response_minutes_before_start = models.PositiveIntegerField(default=60)

    class Meta:
        verbose_name = "OpenADR program settings"
        verbose_name_plural = "OpenADR program settings"

    def __str__(self) -> str:
        return f"OpenADR settings of {self.program.code}"


class EventOrigin(models.Model):
    """Where an event came from (a client, or the staff page when absent) and its OpenADR
    fields that our events do not have."""

    event = models.OneToOneField(
        DispatchEvent, on_delete=models.PROTECT, related_name="openadr_origin"
    )
    client = models.ForeignKey(
        OpenADRClient, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    event_name = models.CharField(max_length=128, blank=True)
    priority = models.PositiveIntegerField(null=True, blank=True)
    # The OpenADR targets the event was created with (meter or charger ids); empty: the
    # whole program. Only the offers they selected exist, so they cannot change later.
    targets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"origin of event {self.event_id}"


class EventRead(models.Model):
    """The first time a VEN read an event (shown on the staff event page)."""

    event = models.ForeignKey(DispatchEvent, on_delete=models.CASCADE, related_name="ven_reads")
    ven = models.ForeignKey(Ven, on_delete=models.CASCADE, related_name="event_reads")
    modification = models.PositiveIntegerField()
    read_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["event", "ven", "modification"], name="openadr_event_read_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ven} read event {self.event_id}#{self.modification}"


class Subscription(models.Model):
    """A client's request to be told of operations on objects, at a callback URL."""

    client = models.ForeignKey(
        OpenADRClient, on_delete=models.CASCADE, related_name="subscriptions"
    )
    client_name = models.CharField(max_length=128)
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # [{"objects": [...], "operations": [...], "callbackUrl": ..., "bearerToken": ...}]
    object_operations = models.JSONField(default=list)
    targets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"subscription {self.pk} of {self.client_name}"


class Report(models.Model):
    """A VEN's report on an event, as received, and the upload its readings became."""

    client = models.ForeignKey(OpenADRClient, on_delete=models.PROTECT, related_name="reports")
    event = models.ForeignKey(DispatchEvent, on_delete=models.PROTECT, related_name="+")
    client_name = models.CharField(max_length=128)
    report_name = models.CharField(max_length=128, blank=True)
    # The report's payload descriptors and resources as JSON text, as received (decimal
    # values keep their digits; a JSONField would store them through floats).
    payload_descriptors_json = models.TextField(default="null")
    resources_json = models.TextField()
    upload = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"report {self.pk} on event {self.event_id}"


class EventNotice(models.Model):
    """The last modification of an event that subscribers were notified of."""

    event = models.OneToOneField(
        DispatchEvent, on_delete=models.CASCADE, related_name="openadr_notice"
    )
    notified_modification = models.IntegerField()
    notified_cancelled = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"notice of event {self.event_id}"
