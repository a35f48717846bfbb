"""Versioned, effective-dated rule sets of a program, one row per rule."""

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

from accounts.models import Program
from settlement.programs.rules import RuleKind
from settlement.tariffs.models import TariffPlan

RULE_KINDS = [kind.value for kind in RuleKind]


class RuleSet(models.Model):
    """Version `version` of a program's rules over half-open local dates [from, to).

    On a date covered by several versions the highest version is in force, so a correction
    is a new version and the one a statement used stays as it was. Never edited once locked
    (`locked_at` set by the first settlement that used it).
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="rule_sets")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    # sha256 of the canonical JSON of the dates and rules: the key of an idempotent import.
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_through = models.DateField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["program", "version"], name="rule_set_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="rule_set_version_positive"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="rule_set_period_half_open",
            ),
            models.CheckConstraint(
                condition=Q(locked_at__isnull=True, locked_through__isnull=True)
                | Q(locked_at__isnull=False, locked_through__isnull=False),
                name="rule_set_lock_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} rules v{self.version}"


class Rule(models.Model):
    """One rule of a rule set: its kind and its parameters (validated by `rules.py`)."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="rules")
    name = models.SlugField(max_length=40)
    kind = models.CharField(max_length=20, choices=[(kind, kind) for kind in RULE_KINDS])
    # JSON with Decimals as strings; read only through `rules.parse_parameters`.
    parameters = models.JSONField(default=dict)
    # The plan an EXPORT_TARIFF rule names, kept as a key so the plan cannot disappear.
    plan = models.ForeignKey(
        TariffPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="rules"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["rule_set", "name"], name="rule_name_unique_in_set"),
            # One rule of each kind per set, except one-off incentives (enrolment, milestones).
            models.UniqueConstraint(
                fields=["rule_set", "kind"],
                condition=~Q(kind="ONE_OFF"),
                name="rule_kind_once_in_set",
            ),
            models.CheckConstraint(condition=Q(kind__in=RULE_KINDS), name="rule_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="EXPORT_TARIFF", plan__isnull=False)
                | (~Q(kind="EXPORT_TARIFF") & Q(plan__isnull=True)),
                name="rule_plan_only_for_export_tariff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_set} {self.name} ({self.kind})"
