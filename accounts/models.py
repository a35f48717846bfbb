"""Who gets paid, where their energy is measured, and which programs they are enrolled in."""

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts import channel_kinds
from accounts.timezones import validate_timezone


class UserManager(BaseUserManager["User"]):
    """Create users identified by email."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        """Return a new active user; without a password the account cannot log in yet.

        `extra` must include `date_joined`: the caller's clock, as everywhere else.
        """
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        """Return a new superuser (staff, all permissions)."""
        # Only Django's `createsuperuser` command calls this; it is that interface's clock.
        extra.setdefault("date_joined", timezone.now())
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: an owner, a fleet manager, staff, or an aggregator's client."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField()
    # When the latest invitation to set a password was sent (None: never invited).
    invited_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email


class Participant(models.Model):
    """Who gets paid: an individual EV owner or an organization with a fleet."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "INDIVIDUAL", "Individual"
        ORGANIZATION = "ORGANIZATION", "Organization"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    # The contact address is the participant's identity in the utility's enrollment files.
    email = models.EmailField(unique=True)
    members: "models.ManyToManyField[User, Membership]" = models.ManyToManyField(
        User, through="Membership", related_name="participants"
    )
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind__in=["INDIVIDUAL", "ORGANIZATION"]), name="participant_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Membership(models.Model):
    """A user acting for a participant (the owner, or a fleet's managers)."""

    class Role(models.TextChoices):
        OWNER = "OWNER", "Owner"
        MANAGER = "MANAGER", "Manager"
        VIEWER = "VIEWER", "Viewer"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.OWNER)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "participant"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.participant}"


class Site(models.Model):
    """A utility service account at an address; its zone decides local time for tariffs."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="sites")
    account_number = models.CharField(max_length=64, unique=True)
    address = models.CharField(max_length=300, blank=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    # Service capacity: the revenue meter's physical bound (None: the program's default).
    max_kw = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(max_kw__isnull=True) | Q(max_kw__gt=0), name="site_max_kw_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"site {self.account_number}"


class Charger(models.Model):
    """A bidirectional charger (EVSE) at a site."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="chargers")
    # The charge point identity the charger uses on OCPP; unique across the system.
    external_id = models.CharField(max_length=64, unique=True)
    # What the fleet calls the vehicle that plugs in here ("Bus 7, route 12"), if anything.
    name = models.CharField(max_length=100, blank=True)
    max_discharge_kw = models.DecimalField(max_digits=8, decimal_places=3)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(max_discharge_kw__gt=0), name="charger_max_discharge_kw_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"charger {self.external_id}"


class Channel(models.Model):
    """One measured quantity at a site, identified by (meter id, kind) across the system."""

    class Kind(models.TextChoices):
        SITE_EXPORT = "SITE_EXPORT", "Site export (revenue meter)"
        SITE_IMPORT = "SITE_IMPORT", "Site import (revenue meter)"
        EVSE_EXPORT = "EVSE_EXPORT", "Charger export (sub-meter)"
        EVSE_IMPORT = "EVSE_IMPORT", "Charger import (sub-meter)"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="channels")
    meter_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    charger = models.ForeignKey(
        Charger, on_delete=models.PROTECT, null=True, blank=True, related_name="channels"
    )
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["meter_id", "kind"], name="channel_meter_kind_unique"),
            # A charger's sub-meter channel must name its charger; a revenue meter has none.
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(channel_kinds.EVSE_KINDS), charger__isnull=False)
                    | Q(kind__in=sorted(channel_kinds.SITE_KINDS), charger__isnull=True)
                ),
                name="channel_charger_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id}/{self.kind}"


class Program(models.Model):
    """A compensation scheme participants enroll in (export credits, events, capacity)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    utility = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    currency = models.CharField(max_length=3, default="USD")
    # Programs a participant may not be enrolled in at the same time as this one
    # (e.g. an emergency program and its own aggregator sub-group). Symmetric.
    exclusive_with = models.ManyToManyField("self", blank=True, symmetrical=True)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        permissions: ClassVar = [
            ("review_settlement", "Can review settlement statements"),
            ("approve_settlement", "Can approve settlement statements"),
            ("administer_program", "Can administer programs and enrollments"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="program_currency_iso4217"
            ),
            # The code appears in URLs, file names and enrollment files: a slug.
            models.CheckConstraint(
                condition=Q(code__regex=r"^[a-z0-9]+(-[a-z0-9]+)*$"), name="program_code_slug"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Enrollment(models.Model):
    """A participant's site in a program over half-open local dates [starts_on, ends_on)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        ACTIVE = "ACTIVE", "Active"
        SUSPENDED = "SUSPENDED", "Suspended"
        ENDED = "ENDED", "Ended"

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="enrollments"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="enrollments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["participant", "site", "program"], name="enrollment_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="enrollment_period_half_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant.email} at {self.site.account_number} in {self.program.code}"


class ProgramSettingsChange(models.Model):
    """One change to a program's settings: which section, who, when, values before and after.

    Append-only: the history of who set a review cap or a payout minimum is what an auditor
    reads. `before` is empty for the first values a program is given.
    """

    class Section(models.TextChoices):
        SETTLEMENT = "SETTLEMENT", "Review thresholds"
        PAYOUT = "PAYOUT", "Payouts"
        METERING = "METERING", "Meter data"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="settings_changes")
    section = models.CharField(max_length=12, choices=Section.choices)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    before = models.JSONField(default=dict)
    after = models.JSONField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(section__in=["SETTLEMENT", "PAYOUT", "METERING"]),
                name="program_settings_change_section_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.section} change {self.pk}"
