"""Settlement runs: start one, settle its chunks (idempotently), complete or fail it.

A run is created with its chunks in one transaction: `start_run` sends a task per chunk
when that transaction commits, `settle_in_process` settles them in this process instead
(no broker). Each chunk is settled by `settle_chunk` in its own transaction, which stores
the chunk's statements, locks the tariff versions they used and marks the chunk done. The
chunk that finishes last completes the run: it merges the lineage and hashes. A chunk that
fails fails the run.
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from types import TracebackType

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Sum
from django.db.models.functions import Now

from accounts.models import Channel, Program, User
from settlement import leases
from settlement.errors import DomainError
from settlement.programs import operations as program_operations
from settlement.programs import queries as program_queries
from settlement.statements import periods
from settlement.statements.lines import (
    computation,
    differences,
    event_lines,
    inputs,
    lineage,
    paid_rules,
    run_lineage,
)
from settlement.statements.lines.channel_rating import ChannelRatings
from settlement.statements.lines.export_rules import ExportRulePart, export_rule_parts
from settlement.statements.lines.rule_lines import RuleLines
from settlement.statements.models import (
    RunChunk,
    SettlementRun,
    Statement,
    StatementLine,
    StatementTransition,
)
from settlement.statements.periods import Period
from settlement.statements.review import checks, roles
from settlement.statements.review import queries as statement_queries
from settlement.statements.runs import tasks
from settlement.tariffs import operations as tariff_operations
from settlement.tariffs.models import TariffVersion

CHUNK_SIZE = 100
PENDING_STATES = ("DRAFT", "NEEDS_REVIEW", "HELD")
# How long an in-process settlement's claim on its run holds without a heartbeat; every
# chunk renews it, and a chunk takes seconds, so only a dead or hung process lets it lapse.
LEASE = timedelta(minutes=5)
# Attempts at one chunk when the database aborts it for a reason that passes (a
# serialization failure, a deadlock, a lost connection); then the run fails with the error.
TRANSIENT_ATTEMPTS = 3
TRANSIENT_BACKOFF_S = 0.2

logger = logging.getLogger(__name__)


class ZoneMismatch(DomainError):
    """The site's, program's and tariff's time zones are not the same."""

    code = "zone_mismatch"


class PeriodNotClosed(DomainError):
    """The period has not ended yet: settling it now would pay for data still arriving.

    A well-formed request the state of things refuses for now: 409, as the view documents.
    """

    code = "period_not_closed"
    http_status = 409


class RunInProgress(DomainError):
    """A run of this program, period and type is already working."""

    code = "run_in_progress"
    http_status = 409


class RunNotAllowed(DomainError):
    """This type of run cannot be started for the period (no initial run, or already final)."""

    code = "run_not_allowed"
    http_status = 409


class InitialRunExists(RunNotAllowed):
    """The period already has an initial run (working or completed): recalculate instead."""


def _check_zones(program: Program, period: Period) -> None:
    parts, _ = export_rule_parts(program=program, start=period.start, end=period.end)
    problems = [
        f"tariff {part.plan.code} is in {part.plan.timezone}"
        for part in parts
        if part.plan.timezone != program.timezone
    ]
    for enrollments in inputs.enrollments_in_period(program=program, period=period).values():
        problems.extend(
            f"site {enrollment.site_label} is in {enrollment.site_time_zone}"
            for enrollment in enrollments
            if enrollment.site_time_zone != program.timezone
        )
    if problems:
        unique = sorted(set(problems))
        raise ZoneMismatch(
            f"program {program.code} is in {program.timezone}, but "
            + "; ".join(unique[:5])
            + (f" and {len(unique) - 5} more" if len(unique) > 5 else "")
            + ": the zones must agree before the period can be settled",
            details={"field": "program", "mismatches": unique},
        )


def _check_no_initial_run(program: Program, period: Period) -> None:
    # A failed initial run leaves the period open for another; any other one closes it.
    if (
        SettlementRun.objects.filter(
            program=program,
            period_start=period.start,
            period_end=period.end,
            type=SettlementRun.Type.INITIAL,
        )
        .exclude(status=SettlementRun.Status.FAILED)
        .exists()
    ):
        raise InitialRunExists(
            f"{program.code} {period.label()} already has an initial run; "
            "start a recalculation instead",
            details={"field": "type"},
        )


def _check_type(program: Program, period: Period, run_type: str) -> None:
    runs = SettlementRun.objects.filter(
        program=program, period_start=period.start, period_end=period.end
    )
    if run_type == SettlementRun.Type.INITIAL:
        _check_no_initial_run(program, period)
        return
    if not runs.filter(
        type=SettlementRun.Type.INITIAL, status=SettlementRun.Status.COMPLETED
    ).exists():
        raise RunNotAllowed(
            f"{program.code} {period.label()} has no completed initial run to recalculate",
            details={"field": "type"},
        )
    if runs.filter(type=SettlementRun.Type.FINAL, status=SettlementRun.Status.COMPLETED).exists():
        raise RunNotAllowed(
            f"{program.code} {period.label()} was settled finally", details={"field": "type"}
        )


def _supersede_pending(run: SettlementRun, now: datetime) -> None:
    pending = Statement.objects.select_for_update().filter(
        run__program=run.program,
        run__period_start=run.period_start,
        run__period_end=run.period_end,
        state__in=PENDING_STATES,
    )
    for statement in pending:
        StatementTransition.objects.create(
            statement=statement,
            action=StatementTransition.Action.SUPERSEDE,
            from_state=statement.state,
            to_state=Statement.State.VOIDED,
            actor=None,
            reason=f"superseded by run {run.pk} ({run.type.lower()})",
            at=now,
        )
        statement.state = Statement.State.VOIDED
        statement.save(update_fields=["state"])


def start_run(
    *,
    program: Program,
    period: Period,
    run_type: str,
    started_by: User | None,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
    automatically: bool = False,
) -> SettlementRun:
    """Return a new run of `program` over `period`, its chunks sent to the workers (one
    `settle_chunk` task each) when the caller's transaction commits.

    A recalculation or final run voids the period's statements still awaiting review (their
    differences are recomputed). `started_by` is the maker and must hold the reviewer role;
    `automatically` marks a run the schedule started (with no `started_by`). Raises
    RoleRequired, PeriodNotClosed, ZoneMismatch, RunNotAllowed (its
    InitialRunExists for a second initial run) or RunInProgress.
    """
    with transaction.atomic():
        run = _create_run(
            program=program,
            period=period,
            run_type=run_type,
            started_by=started_by,
            now=now,
            chunk_size=chunk_size,
            automatically=automatically,
        )
        _send_chunks(run)
    return run


def settle_in_process(
    *,
    program: Program,
    period: Period,
    run_type: str,
    started_by: User | None,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
    automatically: bool = False,
) -> SettlementRun:
    """Return a run of `program` over `period` settled chunk by chunk in this process, with
    no broker (the `settle` command's and the demo's way): completed, or failed with its
    error.

    A RUNNING run of the same program, period and type whose settling process died (or
    whose lease expired) is taken over: its pending chunks are settled here, the chunks
    already done are kept. Otherwise a new run is created, leased to this process. Raises
    what `start_run` raises (RunInProgress while a live process holds the run).
    """
    taken = _take_over(program=program, period=period, run_type=run_type)
    if taken is not None:
        return settle_inline(run=taken, now=now)
    with transaction.atomic():
        run = _create_run(
            program=program,
            period=period,
            run_type=run_type,
            started_by=started_by,
            now=now,
            chunk_size=chunk_size,
            automatically=automatically,
            lease_holder=leases.holder(),
        )
    # Each chunk commits on its own, after the run is visible, as a worker would settle it.
    return settle_inline(run=run, now=now)


@dataclass(frozen=True)
class DueRuns:
    """What one pass of the schedule did: runs started, programs not yet due, refusals."""

    started: list[SettlementRun]
    waiting: list[str]
    refused: dict[str, str]


def start_due_initial_runs(*, now: datetime) -> DueRuns:
    """Start the initial run of last month (local to each program) for every program due.

    A program is due `settle_after_days` (3 unless set) local days after its month ends, so
    late data is in the initial run rather than a recalculation. A month that has its
    initial run is skipped silently (the schedule asks every day); any other refusal of one
    program is kept in `refused` and does not stop the others.
    """
    started: list[SettlementRun] = []
    waiting: list[str] = []
    refused: dict[str, str] = {}
    for program in Program.objects.order_by("code"):
        local_today = now.astimezone(periods.zone(program.timezone)).date()
        start, end = periods.previous_month(local_today)
        settle_after = statement_queries.settlement_settings(program=program).settle_after_days
        if local_today < end + timedelta(days=settle_after):
            waiting.append(program.code)
            continue
        period = periods.Period(start=start, end=end, time_zone=program.timezone)
        try:
            run = start_run(
                program=program,
                period=period,
                run_type=SettlementRun.Type.INITIAL,
                started_by=None,
                automatically=True,
                now=now,
            )
        except InitialRunExists:
            continue
        except DomainError as exc:
            refused[program.code] = exc.message
            continue
        started.append(run)
    return DueRuns(started=started, waiting=waiting, refused=refused)


def _take_over(*, program: Program, period: Period, run_type: str) -> SettlementRun | None:
    """Return the period's RUNNING run of `run_type` leased to this process now, if its
    holder died or its lease lapsed; None when there is none or workers settle it.

    Raises RunInProgress when a live process holds it.
    """
    with transaction.atomic():
        run = (
            SettlementRun.objects.select_for_update()
            .filter(
                program=program,
                period_start=period.start,
                period_end=period.end,
                type=run_type,
                status=SettlementRun.Status.RUNNING,
            )
            .exclude(lease_holder="")
            .first()
        )
        if run is None:
            return None
        lapsed = not SettlementRun.objects.filter(pk=run.pk, lease_expires_at__gt=Now()).exists()
        if leases.holder_alive(run.lease_holder) and not lapsed:
            raise RunInProgress(
                f"run {run.pk} of {program.code} {period.label()} is being settled by "
                f"{run.lease_holder}",
                details={"field": "type", "run": run.pk, "holder": run.lease_holder},
            )
        logger.warning("run %s: taking over from %s", run.pk, run.lease_holder)
        SettlementRun.objects.filter(pk=run.pk).update(
            lease_holder=leases.holder(), lease_expires_at=Now() + LEASE
        )
        run.refresh_from_db()
    return run


def _create_run(
    *,
    program: Program,
    period: Period,
    run_type: str,
    started_by: User | None,
    now: datetime,
    chunk_size: int,
    automatically: bool,
    lease_holder: str = "",
) -> SettlementRun:
    if started_by is not None:
        roles.require_role(user=started_by, program=program, permissions=(roles.REVIEW_PERMISSION,))
    if period.end_utc > now:
        raise PeriodNotClosed(
            f"{period.label()} ends at {period.end_utc.isoformat()}, after now",
            details={"field": "period"},
        )
    if run_type not in SettlementRun.Type.values:
        raise RunNotAllowed(f"unknown run type {run_type!r}", details={"field": "type"})
    if run_type == SettlementRun.Type.INITIAL:
        # Refused before the zones are checked and events measured: the beat task asks every
        # day for every program, and a month already settled must cost one query and no write.
        _check_no_initial_run(program, period)
    _check_zones(program, period)
    # Event results are measured from the current readings and rules before they are paid.
    event_lines.measure_period_events(program=program, period=period, now=now)
    participant_ids = inputs.participants_in_period(program=program, period=period)
    try:
        with transaction.atomic():
            # The program row serializes run creation, so sequence numbers never collide.
            Program.objects.select_for_update().get(pk=program.pk)
            # Checked again under the lock: another process may have started one meanwhile.
            _check_type(program, period, run_type)
            sequence = (
                SettlementRun.objects.filter(
                    program=program, period_start=period.start, period_end=period.end
                ).aggregate(last=Max("sequence"))["last"]
                or 0
            ) + 1
            run = SettlementRun.objects.create(
                program=program,
                period_start=period.start,
                period_end=period.end,
                type=run_type,
                status=SettlementRun.Status.RUNNING,
                sequence=sequence,
                started_by=started_by,
                started_automatically=automatically,
                started_at=now,
                lease_holder=lease_holder,
                lease_expires_at=Now() + LEASE if lease_holder else None,
            )
            chunks = [
                participant_ids[offset : offset + chunk_size]
                for offset in range(0, len(participant_ids), chunk_size)
            ]
            RunChunk.objects.bulk_create(
                RunChunk(run=run, index=index, participant_ids=ids)
                for index, ids in enumerate(chunks)
            )
            run.chunk_count = len(chunks)
            run.save(update_fields=["chunk_count"])
            if run_type != SettlementRun.Type.INITIAL:
                _supersede_pending(run, now)
            if not chunks:
                _complete(run, now)
    except IntegrityError:
        raise RunInProgress(
            f"a {run_type.lower()} run of {program.code} {period.label()} is already running",
            details={"field": "type"},
        ) from None
    return run


def _send_chunks(run: SettlementRun) -> None:
    for index in range(run.chunk_count):
        # A task sent inside the transaction could run before the run and its chunks exist.
        transaction.on_commit(partial(_send_chunk, run_id=run.pk, chunk_index=index))


def _send_chunk(*, run_id: int, chunk_index: int) -> None:
    tasks.settle_chunk.delay(run_id=run_id, chunk_index=chunk_index)


def period_of(run: SettlementRun) -> Period:
    """Return the run's period in its program's zone."""
    return Period(start=run.period_start, end=run.period_end, time_zone=run.program.timezone)


@dataclass
class _Booked:
    rows: dict[int, list[differences.BookedRow]]
    averages: dict[int, Decimal]


def _booked(run: SettlementRun, participant_ids: list[int]) -> _Booked:
    rows: dict[int, list[differences.BookedRow]] = defaultdict(list)
    if run.type != SettlementRun.Type.INITIAL:
        for line in (
            StatementLine.objects.filter(
                statement__participant_id__in=participant_ids,
                statement__run__program=run.program,
                statement__run__period_start=run.period_start,
                statement__run__period_end=run.period_end,
                # Only runs before this one: at run time the same thing (its own statements
                # are not booked yet), and what a later reproduction of it must see.
                statement__run__sequence__lt=run.sequence,
                statement__state__in=Statement.BOOKED_STATES,
            )
            .order_by("statement__run__sequence", "number")
            .values_list(
                "statement__participant_id",
                "match_key",
                "kind",
                "adjusts_kind",
                "label",
                "kwh",
                "amount",
                "rule_version",
                "event_result",
            )
        ):
            rows[line[0]].append(line[1:])
    # Net booked totals of earlier periods, per participant, for the change check.
    earlier = (
        Statement.objects.filter(
            participant_id__in=participant_ids,
            run__program=run.program,
            run__period_start__lt=run.period_start,
            state__in=Statement.BOOKED_STATES,
        )
        .values("participant_id", "run__period_start")
        .annotate(total=Sum("total"))
    )
    per_period: dict[int, list[Decimal]] = defaultdict(list)
    for row in earlier:
        per_period[row["participant_id"]].append(row["total"])
    averages = {
        participant: sum(totals, Decimal(0)) / len(totals)
        for participant, totals in per_period.items()
    }
    return _Booked(rows=dict(rows), averages=averages)


def statement_document(
    participant_id: int, currency: str, lines: list[computation.ComputedLine]
) -> dict[str, object]:
    """Return the statement as the canonical document its content sha256 is taken of."""
    total = sum((line.amount for line in lines), computation.ZERO_AMOUNT)
    return {
        "participant_id": participant_id,
        "currency": currency,
        "lines": [line.as_dict() for line in lines],
        "total": str(total),
    }


@dataclass
class _Pending:
    """A statement computed in a chunk, stored with the others in three bulk inserts."""

    statement: Statement
    lines: list[computation.ComputedLine]


def _statement(
    *,
    run: SettlementRun,
    participant_id: int,
    lines: list[computation.ComputedLine],
    flags: list[str],
    now: datetime,
) -> _Pending:
    document = statement_document(participant_id, run.program.currency, lines)
    return _Pending(
        Statement(
            run=run,
            participant_id=participant_id,
            currency=run.program.currency,
            state=Statement.State.NEEDS_REVIEW if flags else Statement.State.DRAFT,
            total=Decimal(str(document["total"])),
            flags=flags,
            content_sha256=lineage.sha256_of(document),
            created_at=now,
        ),
        lines,
    )


def _store(pending: list[_Pending], now: datetime) -> None:
    statements = Statement.objects.bulk_create(item.statement for item in pending)
    StatementLine.objects.bulk_create(
        (
            StatementLine(
                statement=statement,
                number=number,
                kind=line.kind,
                adjusts_kind=line.adjusts_kind,
                label=line.label[:300],
                match_key=line.match_key,
                kwh=line.kwh,
                price=line.price,
                amount=line.amount,
                tariff_version_id=line.tariff_version_id,
                rule_version=line.rule_version,
                event_result=line.event_result,
                lineage=line.lineage,
                detail=line.detail,
            )
            for statement, item in zip(statements, pending, strict=True)
            for number, line in enumerate(item.lines, start=1)
        ),
        batch_size=2000,
    )
    StatementTransition.objects.bulk_create(
        StatementTransition(
            statement=statement,
            action=StatementTransition.Action.CREATE,
            from_state="",
            to_state=statement.state,
            actor=None,
            reason=", ".join(statement.flags) if statement.flags else "no automatic check failed",
            at=now,
        )
        for statement in statements
    )


@dataclass(frozen=True)
class ChunkInputs:
    """What a chunk's statements are computed from, besides rules and tariff versions."""

    enrollments: dict[int, list[inputs.SiteEnrollment]]
    channels_by_site: dict[int, list[Channel]]
    readings: dict[int, inputs.ChannelData]
    # Offers, deliveries and charger data of the other program rules (None: none paid).
    paid: paid_rules.PaidRuleInputs | None = None


def current_inputs(run: SettlementRun, participant_ids: list[int]) -> ChunkInputs:
    """Return the participants' enrollments, channels and current readings in the period."""
    period = period_of(run)
    enrollments = inputs.enrollments_in_period(
        program=run.program, period=period, participant_ids=participant_ids
    )
    parts, _ = export_rule_parts(program=run.program, start=period.start, end=period.end)
    site_ids = sorted({e.site_id for found in enrollments.values() for e in found})
    channels_by_site: dict[int, list[Channel]] = defaultdict(list)
    for kind in sorted({part.channel_kind for part in parts}):
        for site_id, channels in inputs.channels_of_sites(site_ids=site_ids, kind=kind).items():
            channels_by_site[site_id].extend(channels)
    all_channels = [channel for channels in channels_by_site.values() for channel in channels]
    readings = inputs.readings_of_channels(channels=all_channels, period=period)
    paid = paid_rules.load(
        program=run.program, period=period, participant_ids=participant_ids, enrollments=enrollments
    )
    return ChunkInputs(enrollments, dict(channels_by_site), readings, paid)


@dataclass(frozen=True)
class Computed:
    """A participant's statement as computed: its lines (None: nothing to book) and inputs."""

    participant_id: int
    computed: computation.ComputedStatement
    lines: list[computation.ComputedLine] | None
    # The lines of the other program rules, with the rule sets and event results behind them.
    rules: RuleLines = field(default_factory=RuleLines)

    def recorded(
        self, given: ChunkInputs, *, statement: str | None
    ) -> run_lineage.ParticipantLineage:
        """Return what the run records of this participant (its lineage entry), with the
        content sha256 of its `statement` (None: none in the run)."""
        enrollments = given.enrollments.get(self.participant_id, [])
        return run_lineage.ParticipantLineage(
            readings_sha256=lineage.sha256_of(self.computed.readings),
            readings=self.computed.readings,
            enrollments=[
                (e.enrollment_id, e.site_id, e.start.isoformat(), e.end.isoformat())
                for e in enrollments
            ],
            channels=[
                (e.site_id, channel.pk)
                for e in enrollments
                for channel in given.channels_by_site.get(e.site_id, [])
            ],
            statement=statement,
        )


def compute_participants(
    run: SettlementRun, participant_ids: list[int], given: ChunkInputs
) -> tuple[list[Computed], list[ExportRulePart], _Booked]:
    """Return each participant's computed statement (pure given the inputs and booked lines).

    A recalculation's lines are the differences from what runs before it booked.
    """
    period = period_of(run)
    parts, gaps = export_rule_parts(program=run.program, start=period.start, end=period.end)
    booked = _booked(run, participant_ids)
    # Labels write money in the program's currency, the one its statements are kept in.
    currency = run.program.currency
    # The chunk's channels are priced together, one rating-core call per tariff version and
    # dates, before each statement is put together from its channels' results.
    ratings = ChannelRatings()
    ratings.price_together(
        window
        for participant_id in participant_ids
        for window in computation.channel_windows(
            enrollments=given.enrollments.get(participant_id, []),
            parts=parts,
            channels_by_site=given.channels_by_site,
            readings=given.readings,
        )
    )
    results = []
    for participant_id in participant_ids:
        computed = computation.compute_statement(
            participant_id=participant_id,
            enrollments=given.enrollments.get(participant_id, []),
            parts=parts,
            gaps=gaps,
            channels_by_site=given.channels_by_site,
            readings=given.readings,
            ratings=ratings,
            currency=currency,
        )
        rules = RuleLines()
        if given.paid is not None:
            rules = paid_rules.lines_for(
                participant_id=participant_id,
                enrollments=given.enrollments.get(participant_id, []),
                inputs=given.paid,
                currency=currency,
            )
            computed.lines.extend(rules.lines)
            computed.readings.extend(rules.readings)
        booked_rows = booked.rows.get(participant_id)
        lines: list[computation.ComputedLine] | None = computed.lines
        if booked_rows:
            lines = differences.difference_lines(
                computed.lines, differences.booked_by_key(booked_rows), currency=currency
            )
            if not any(line.kind == "ADJUSTMENT" for line in lines):
                lines = None
        results.append(Computed(participant_id, computed, lines, rules))
    return results, parts, booked


def chunk_lineage(
    *,
    results: list[Computed],
    parts: list[ExportRulePart],
    given: ChunkInputs,
    statements: dict[int, str | None],
) -> run_lineage.ChunkLineage:
    """Return what a chunk records of its computed `results`: each participant's inputs and
    `statements` sha256, the tariff versions priced with, rule versions, rule sets and
    event results paid with (what settling stores and reproducing recomputes)."""
    used_versions = {
        line.tariff_version_id
        for result in results
        for line in result.computed.lines
        if line.tariff_version_id
    }
    return run_lineage.chunk_lineage(
        participants={
            result.participant_id: result.recorded(
                given, statement=statements[result.participant_id]
            )
            for result in results
        },
        tariff_versions=used_versions,
        rule_versions=[
            *(version for result in results for version in result.rules.rule_versions),
            *(part.rule_version for part in parts if part.rule_version),
        ],
        # A tariff part's rule set is used when a line was priced with its tariff version.
        rule_sets=[
            *(rule_set for result in results for rule_set in result.rules.rule_sets),
            *(part.rule_set_id for part in parts if part.version.pk in used_versions),
        ],
        event_results=[
            event_result for result in results for event_result in result.rules.event_results
        ],
    )


def _settle_participants(
    run: SettlementRun, participant_ids: list[int], now: datetime
) -> run_lineage.ChunkLineage:
    period = period_of(run)
    given = current_inputs(run, participant_ids)
    results, parts, booked = compute_participants(run, participant_ids, given)
    settings = statement_queries.settlement_settings(program=run.program)
    statements: dict[int, str | None] = {}
    pending: list[_Pending] = []
    for result in results:
        computed, lines = result.computed, result.lines
        if lines is None:
            statements[result.participant_id] = None
            continue
        total = sum((line.amount for line in lines), computation.ZERO_AMOUNT)
        flags = checks.flags_for(
            computed=computed,
            total=total,
            settings=settings,
            previous_average=booked.averages.get(result.participant_id),
        )
        item = _statement(
            run=run, participant_id=result.participant_id, lines=lines, flags=flags, now=now
        )
        pending.append(item)
        statements[result.participant_id] = item.statement.content_sha256
    _store(pending, now)
    recorded = chunk_lineage(results=results, parts=parts, given=given, statements=statements)
    # Lock what was used, in the transaction that stores the statements priced with it.
    for version in TariffVersion.objects.filter(pk__in=recorded.tariff_versions).order_by("pk"):
        tariff_operations.lock_version(version=version, through=period.end, now=now)
    for rule_set_id in recorded.rule_sets:
        program_operations.lock_version(rule_set_id=rule_set_id, through=period.end, now=now)
    return recorded


def settle_chunk(*, run_id: int, chunk_index: int, now: datetime) -> RunChunk:
    """Return the chunk settled: its statements stored, versions locked, marked done.

    Idempotent: a chunk already done (or of a failed run) is returned unchanged, so a
    retried or duplicated task changes nothing. Completes the run when it is the last.
    """
    with transaction.atomic():
        chunk = (
            RunChunk.objects.select_for_update()
            .select_related("run__program")
            .get(run_id=run_id, index=chunk_index)
        )
        if (
            chunk.status != RunChunk.Status.PENDING
            or chunk.run.status != SettlementRun.Status.RUNNING
        ):
            return chunk
        chunk.lineage = _settle_participants(chunk.run, list(chunk.participant_ids), now).to_json()
        chunk.status = RunChunk.Status.DONE
        chunk.finished_at = now
        chunk.save(update_fields=["lineage", "status", "finished_at"])
        run = SettlementRun.objects.select_for_update().get(pk=run_id)
        if not run.chunks.exclude(status=RunChunk.Status.DONE).exists():
            _complete(run, now)
        return chunk


def tariff_versions_used(version_ids: list[int]) -> list[run_lineage.TariffVersionUsed]:
    """Return how a run records the tariff versions it used (definition sha256 included)."""
    return [
        run_lineage.TariffVersionUsed(
            id=version.pk,
            plan=version.plan.code,
            version=version.version,
            definition_sha256=lineage.sha256_of(version.definition),
        )
        for version in TariffVersion.objects.filter(pk__in=version_ids)
        .select_related("plan")
        .order_by("pk")
    ]


def run_inputs(*, run: SettlementRun, merged: run_lineage.ChunkLineage) -> run_lineage.RunInputs:
    """Return what the run records of its inputs, from its chunks' `merged` lineage."""
    return run_lineage.RunInputs(
        program=run.program.code,
        period_start=run.period_start.isoformat(),
        period_end=run.period_end.isoformat(),
        type=run.type,
        tariff_versions=tariff_versions_used(merged.tariff_versions),
        rule_versions=merged.rule_versions,
        rule_sets=program_queries.rule_set_fingerprints(rule_set_ids=merged.rule_sets),
        event_results=merged.event_results,
        participants=merged.participants,
    )


def _complete(run: SettlementRun, now: datetime) -> None:
    merged = run_lineage.merge(
        run_lineage.ChunkLineage.from_json(chunk.lineage) for chunk in run.chunks.order_by("index")
    )
    recorded = run_inputs(run=run, merged=merged)
    run.inputs = recorded.to_json()
    run.inputs_sha256 = recorded.inputs_sha256()
    run.result_sha256 = recorded.result_sha256()
    run.status = SettlementRun.Status.COMPLETED
    run.completed_at = now
    run.save(update_fields=["inputs", "inputs_sha256", "result_sha256", "status", "completed_at"])


def fail_chunk(*, run_id: int, chunk_index: int, error: str, now: datetime) -> SettlementRun:
    """Return the run marked failed because chunk `chunk_index` could not be settled."""
    with transaction.atomic():
        run = SettlementRun.objects.select_for_update().get(pk=run_id)
        RunChunk.objects.filter(run=run, index=chunk_index).exclude(
            status=RunChunk.Status.DONE
        ).update(status=RunChunk.Status.FAILED, error=error[:2000], finished_at=now)
        if run.status == SettlementRun.Status.RUNNING:
            run.status = SettlementRun.Status.FAILED
            run.error = f"chunk {chunk_index}: {error}"[:2000]
            run.completed_at = now
            run.save(update_fields=["status", "error", "completed_at"])
        return run


class _FailureRecorded:
    """Leave the run FAILED with the error when settling it raises anything.

    A context manager rather than an except clause: every error must end the run (a run
    left RUNNING blocks its period), whatever its type. An `Exception` is then reported by
    the run's status and error (the caller returns the FAILED run); an interruption such as
    KeyboardInterrupt goes on as itself once recorded.
    """

    def __init__(self, *, run: SettlementRun, now: datetime) -> None:
        self._run = run
        self._now = now
        self.chunk_index: int | None = None

    def __enter__(self) -> "_FailureRecorded":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if error is None:
            return False
        logger.error("run %s failed", self._run.pk, exc_info=error)
        if not connection.in_atomic_block:
            # A lost connection is replaced so that the failure itself can be written.
            connection.close_if_unusable_or_obsolete()
        fail_chunk(
            run_id=self._run.pk,
            chunk_index=self.chunk_index if self.chunk_index is not None else 0,
            error=f"{type(error).__name__}: {error}",
            now=self._now,
        )
        return isinstance(error, Exception)


def _settle_chunk_retrying(*, run_id: int, chunk_index: int, now: datetime) -> RunChunk:
    """Return `settle_chunk`'s chunk, tried again when the database aborted it transiently.

    Django raises OperationalError for psycopg's (serialization failure, deadlock, lost
    connection) and SQLite's ("database is locked"): the chunk's transaction rolled back
    whole, and `settle_chunk` is idempotent, so a retry settles it exactly once. Inside a
    caller's transaction nothing can be retried: the error goes on.
    """
    for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
        try:
            return settle_chunk(run_id=run_id, chunk_index=chunk_index, now=now)
        except OperationalError:
            if attempt == TRANSIENT_ATTEMPTS or connection.in_atomic_block:
                raise
            logger.warning(
                "run %s chunk %s: transient database error, attempt %s of %s",
                run_id,
                chunk_index,
                attempt,
                TRANSIENT_ATTEMPTS,
                exc_info=True,
            )
            connection.close_if_unusable_or_obsolete()
            time.sleep(TRANSIENT_BACKOFF_S * attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _renew_lease(run: SettlementRun) -> bool:
    """Extend this process's lease on the run (the heartbeat); False if it was taken over."""
    return bool(
        SettlementRun.objects.filter(pk=run.pk, lease_holder=run.lease_holder).update(
            lease_expires_at=Now() + LEASE
        )
    )


def settle_inline(*, run: SettlementRun, now: datetime) -> SettlementRun:
    """Return the run after settling every pending chunk in this process (the command's way).

    The run ends COMPLETED or FAILED with its error, whatever goes wrong: a chunk refused
    with a domain error, any other error (recorded, then reported by the run), transient
    database errors once retried `TRANSIENT_ATTEMPTS` times. A run leased to this process
    renews its lease after each chunk and stops if another process took it over.
    """
    with _FailureRecorded(run=run, now=now) as recorder:
        for index in (
            run.chunks.filter(status=RunChunk.Status.PENDING)
            .order_by("index")
            .values_list("index", flat=True)
        ):
            recorder.chunk_index = index
            try:
                _settle_chunk_retrying(run_id=run.pk, chunk_index=index, now=now)
            except DomainError as exc:
                fail_chunk(run_id=run.pk, chunk_index=index, error=exc.message, now=now)
                break
            if run.lease_holder and not _renew_lease(run):
                logger.warning("run %s was taken over; this process stops settling it", run.pk)
                break
    return SettlementRun.objects.get(pk=run.pk)
