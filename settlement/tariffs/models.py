"""Tariff plans, their effective-dated versions and the plans programs pay exports by."""

from typing import ClassVar

from django.db import models
from django.db.models import F, Q

from accounts.timezones import validate_timezone
from settlement.rating import holiday_calendars

HOLIDAY_CALENDARS = list(holiday_calendars.CALENDAR_NAMES)
VERSION_KINDS = ["TOU", "VECTOR"]
SOURCE_FORMATS = ["URDB", "PGE_EXPORT_RATES", "SCE_EXPORT_CREDITS"]


class TariffPlan(models.Model):
    """A named tariff (e.g. an export-credit schedule) whose prices change through versions."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    utility = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    # Local dates of versions and every price are read in this zone.
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    # Layered on each version when it is priced: URDB schedules carry no holidays.
    holiday_calendar = models.CharField(
        max_length=4,
        choices=list(holiday_calendars.CALENDAR_LABELS.items()),
        default=str(holiday_calendars.HolidayCalendar.NONE),
    )
    created_at = models.DateTimeField(editable=False)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="tariff_plan_currency_iso4217"
            ),
            models.CheckConstraint(
                condition=Q(holiday_calendar__in=HOLIDAY_CALENDARS),
                name="tariff_plan_holiday_calendar_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class TariffVersion(models.Model):
    """The prices of a plan over half-open local dates [effective_from, effective_to).

    Never edited once a statement used it (`locked_at` set): a price change is a new version.
    """

    class Kind(models.TextChoices):
        TOU = "TOU", "Time of use"
        VECTOR = "VECTOR", "Hourly price vector"

    class SourceFormat(models.TextChoices):
        URDB = "URDB", "OpenEI URDB JSON"
        PGE_EXPORT_RATES = "PGE_EXPORT_RATES", "PG&E export rates CSV"
        SCE_EXPORT_CREDITS = "SCE_EXPORT_CREDITS", "SCE export credit table CSV"

    plan = models.ForeignKey(TariffPlan, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=6, choices=Kind.choices)
    # The rating dataclass as JSON, Decimals as strings (see settlement.tariffs.definitions).
    definition = models.JSONField()
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    source_format = models.CharField(max_length=20, choices=SourceFormat.choices)
    source_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(editable=False)
    # Set by the first statement priced with this version; from then on it is read-only,
    # except that an open end may be closed on or after `locked_through`.
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_through = models.DateField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["plan", "version"], name="tariff_version_unique"),
            # The business key of an import: the same file for the same start is one version.
            models.UniqueConstraint(
                fields=["plan", "source_sha256", "effective_from"],
                name="tariff_version_same_file_same_start_once",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="tariff_version_period_half_open",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="tariff_version_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=VERSION_KINDS), name="tariff_version_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source_format__in=SOURCE_FORMATS),
                name="tariff_version_source_format_valid",
            ),
            models.CheckConstraint(
                condition=Q(locked_at__isnull=True, locked_through__isnull=True)
                | Q(locked_at__isnull=False, locked_through__isnull=False),
                name="tariff_version_lock_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} v{self.version}"
