"""Settlement runs, the statements they produce, their lines and their review history.

A run settles one program over half-open local dates. Its statements are written once;
review moves a statement's state, recorded in an append-only transition table. Approved
statements, lines and transitions are protected by PostgreSQL triggers.
"""

from decimal import Decimal
from typing import ClassVar

import pgtrigger
from django.db import models
from django.db.models import F, Q

from accounts.models import Participant, Program, User
from settlement.append_only import refuse_update_and_delete

RUN_TYPES = ["INITIAL", "RECALCULATION", "FINAL"]
RUN_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED"]
STATEMENT_STATES = ["DRAFT", "NEEDS_REVIEW", "APPROVED", "RELEASED", "HELD", "VOIDED"]
LINE_KINDS = [
    "EXPORT_ENERGY",
    "ACCEPTED_OFFER",
    "EVENT_INCREMENTAL",
    "CAPACITY",
    "AVAILABILITY",
    "ONE_OFF",
    "FIXED",
    "BOUND",
    "ADJUSTMENT",
    "MISSING_DATA",
    "HELD_ESTIMATED",
    "NOT_SETTLEABLE",
]

# An approved or released statement may only move from APPROVED to RELEASED; nothing else
# about it changes, whoever writes the SQL.
_SETTLED_STATEMENT_FROZEN = """
    IF OLD.state IN ('APPROVED', 'RELEASED') AND NOT (
        OLD.state = 'APPROVED' AND NEW.state = 'RELEASED'
        AND NEW.total = OLD.total AND NEW.run_id = OLD.run_id
        AND NEW.participant_id = OLD.participant_id AND NEW.flags = OLD.flags
        AND NEW.approved_at IS NOT DISTINCT FROM OLD.approved_at
    ) THEN
        RAISE EXCEPTION 'statement % is %: it cannot be changed', OLD.id, OLD.state
            USING ERRCODE = '55000';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'statements are never deleted' USING ERRCODE = '55000';
    END IF;
    RETURN NEW;
"""


class SettlementRun(models.Model):
    """One settlement of a program over local dates [period_start, period_end)."""

    class Type(models.TextChoices):
        INITIAL = "INITIAL", "Initial"
        RECALCULATION = "RECALCULATION", "Recalculation"
        FINAL = "FINAL", "Final"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        RUNNING = "RUNNING", "Running"
        COMPLETED = "COMPLETED", "Completed"
        FAILED = "FAILED", "Failed"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="runs")
    period_start = models.DateField()
    period_end = models.DateField()
    type = models.CharField(max_length=14, choices=Type.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Number of the run within its program and period (1 for the initial run).
    sequence = models.PositiveIntegerField()
    # None when the beat schedule started it.
    started_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    # Lineage: tariff and rule versions used, and the sha256 of every input and of the
    # statements produced (see settlement.statements.lines.lineage).
    inputs = models.JSONField(default=dict, blank=True)
    inputs_sha256 = models.CharField(max_length=64, blank=True)
    result_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # The process settling the run in-process (`settle`), as host:pid, and until when its
    # claim holds without a heartbeat (each chunk renews it; database clock). A RUNNING run
    # whose holder died is taken over by the next `settle` of its period. Blank for runs
    # settled by workers (their tasks are redelivered instead).
    lease_holder = models.CharField(max_length=255, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(type__in=RUN_TYPES), name="run_type_valid"),
            models.CheckConstraint(condition=Q(status__in=RUN_STATUSES), name="run_status_valid"),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="run_period_half_open"
            ),
            models.UniqueConstraint(
                fields=["program", "period_start", "period_end", "sequence"],
                name="run_sequence_unique",
            ),
            # Two runs of the same program, period and type never work at once.
            models.UniqueConstraint(
                fields=["program", "period_start", "period_end", "type"],
                condition=Q(status__in=["PENDING", "RUNNING"]),
                name="run_one_in_progress_per_type",
            ),
            # A period has one initial run (a failed one may be retried).
            models.UniqueConstraint(
                fields=["program", "period_start", "period_end"],
                condition=Q(type="INITIAL") & ~Q(status="FAILED"),
                name="run_one_initial_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} {self.program_id} {self.period_start} {self.type}"


class RunChunk(models.Model):
    """A slice of a run's participants, settled by one task; done once, whatever retries."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        DONE = "DONE", "Done"
        FAILED = "FAILED", "Failed"

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="chunks")
    index = models.PositiveIntegerField()
    participant_ids = models.JSONField()
    # What the chunk read and produced, per participant: reading-lineage and statement
    # hashes, tariff and rule versions (merged into the run's `inputs` when it completes).
    lineage = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["run", "index"], name="run_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of run {self.run_id}"


class ProgramSettlementSettings(models.Model):
    """A program's review thresholds: what gets flagged and what needs two approvers."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="settlement_settings"
    )
    # A statement above this total is flagged for review.
    review_cap = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("500.00"))
    # Flagged when the total moves by more than this factor against previous periods.
    change_factor = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("3.00"))
    # Flagged when more than this share of the period's data is estimated or missing.
    data_quality_share = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.050")
    )
    # At or above this total (absolute) two different approvers are needed.
    two_approver_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("1000.00")
    )

    def __str__(self) -> str:
        return f"settlement settings of {self.program}"


class StaffProgramScope(models.Model):
    """Limits a staff member's settlement role to some programs (no rows: every program)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="program_scopes")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="staff_scopes")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "program"], name="staff_program_scope_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.program}"


class Statement(models.Model):
    """What one run says one participant is owed for the period (a difference, in a
    recalculation); its total is the sum of its lines."""

    class State(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        NEEDS_REVIEW = "NEEDS_REVIEW", "Needs review"
        APPROVED = "APPROVED", "Approved"
        RELEASED = "RELEASED", "Released to payouts"
        HELD = "HELD", "Held"
        VOIDED = "VOIDED", "Voided"

    # On the ledger: approval books the total, release only lets it be paid out.
    BOOKED_STATES: ClassVar[tuple[str, ...]] = ("APPROVED", "RELEASED")

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="statements")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="statements"
    )
    currency = models.CharField(max_length=3)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    # Codes of the automatic checks that asked for review (settlement.statements.review.checks).
    flags = models.JSONField(default=list, blank=True)
    # The sha256 of the statement's canonical JSON (lines and lineage).
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["run", "participant"], name="statement_once_per_run"),
            models.CheckConstraint(
                condition=Q(state__in=STATEMENT_STATES), name="statement_state_valid"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["participant", "state"])]
        triggers: ClassVar = [
            pgtrigger.Trigger(
                name="statement_settled_frozen",
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                func=_SETTLED_STATEMENT_FROZEN,
            ),
        ]

    def __str__(self) -> str:
        return f"statement {self.pk} ({self.participant_id}, run {self.run_id})"


class StatementLine(models.Model):
    """One line: kWh x price = amount (rounded half-up once), and what it was computed from.

    `match_key` names the rule, version and bucket the line prices, so a recalculation
    compares lines by what they are, not by their label. `lineage` names the readings
    behind it by natural key: runs of [channel id, first start (epoch s), duration s,
    count, revision].
    """

    class Kind(models.TextChoices):
        EXPORT_ENERGY = "EXPORT_ENERGY", "Exported energy"
        ACCEPTED_OFFER = "ACCEPTED_OFFER", "Accepted offer"
        EVENT_INCREMENTAL = "EVENT_INCREMENTAL", "Event incremental energy"
        CAPACITY = "CAPACITY", "Capacity"
        AVAILABILITY = "AVAILABILITY", "Availability"
        ONE_OFF = "ONE_OFF", "One-off incentive"
        FIXED = "FIXED", "Fixed amount"
        BOUND = "BOUND", "Minimum or maximum"
        ADJUSTMENT = "ADJUSTMENT", "Adjustment"
        MISSING_DATA = "MISSING_DATA", "Missing data (not paid)"
        HELD_ESTIMATED = "HELD_ESTIMATED", "Estimated data held"
        NOT_SETTLEABLE = "NOT_SETTLEABLE", "Not settleable"

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # For an ADJUSTMENT, the kind of line it corrects.
    adjusts_kind = models.CharField(max_length=20, blank=True)
    label = models.CharField(max_length=300)
    match_key = models.CharField(max_length=200, blank=True)
    kwh = models.DecimalField(max_digits=16, decimal_places=3)
    price = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    tariff_version = models.ForeignKey(
        "tariffs.TariffVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule_version = models.CharField(max_length=60, blank=True)
    event_result = models.CharField(max_length=60, blank=True)
    lineage = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["statement", "number"], name="statement_line_number"),
            models.CheckConstraint(condition=Q(kind__in=LINE_KINDS), name="line_kind_valid"),
        ]
        triggers: ClassVar = [refuse_update_and_delete(name="statement_line_append_only")]

    def __str__(self) -> str:
        return f"line {self.number} of statement {self.statement_id}: {self.label}"


class StatementTransition(models.Model):
    """Who moved a statement from one state to another (or approved it), when and why."""

    class Action(models.TextChoices):
        CREATE = "CREATE", "Created"
        APPROVE = "APPROVE", "Approved"
        HOLD = "HOLD", "Held"
        VOID = "VOID", "Voided"
        RELEASE = "RELEASE", "Released"
        REOPEN = "REOPEN", "Reopened for review"
        SUPERSEDE = "SUPERSEDE", "Superseded by a recalculation"

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    # None for the system (a run or a beat task).
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        triggers: ClassVar = [refuse_update_and_delete(name="statement_transition_append_only")]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.from_state} -> {self.to_state} ({self.action})"
