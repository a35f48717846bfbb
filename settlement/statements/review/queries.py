"""Reads about settlement runs and statements: summaries, review queues, line details."""

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import Participant, Program, User
from settlement import formatting
from settlement.errors import NotFound
from settlement.rating.money import CENT
from settlement.statements.lines.line_labels import plain_number
from settlement.statements.models import (
    ProgramSettlementSettings,
    SettlementRun,
    StaffProgramScope,
    Statement,
    StatementLine,
)


class ProgramNotFound(NotFound):
    """No program has this code."""

    code = "program_not_found"


def program_by_code(*, code: str) -> Program:
    """Return the program with `code`; raises ProgramNotFound."""
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise ProgramNotFound(f"program: no program {code!r}", details={"field": "program"})
    return program


def settlement_settings(*, program: Program) -> ProgramSettlementSettings:
    """Return the program's review thresholds (the defaults when none were set)."""
    found = ProgramSettlementSettings.objects.filter(program=program).first()
    return found or ProgramSettlementSettings(program=program)


def run_summary(*, run: SettlementRun) -> dict[str, object]:
    """Return the JSON summary of a run that `settle` prints and the staff API returns."""
    statements = Statement.objects.filter(run=run)
    totals = statements.exclude(state=Statement.State.VOIDED).aggregate(total=Sum("total"))
    return {
        **_run_fields(run),
        "statements": statements.count(),
        "total": str(Decimal(totals["total"] or 0).quantize(CENT)),
        "flagged": statements.exclude(flags=[]).count(),
        "not_settleable": statements.filter(lines__kind="NOT_SETTLEABLE").distinct().count(),
        "chunks": run.chunk_count,
        "inputs_sha256": run.inputs_sha256,
        "result_sha256": run.result_sha256,
        "error": run.error,
    }


def runs_for_staff(*, user: User) -> QuerySet[SettlementRun]:
    """Return the runs of the programs a staff member works on, newest first."""
    return (
        SettlementRun.objects.filter(program__in=programs_in_scope(user=user))
        .select_related("program", "started_by")
        .order_by("-started_at", "-pk")
    )


def run_summaries(*, runs: Sequence[SettlementRun]) -> list[dict[str, object]]:
    """Return `run_summary` of each run (loaded by `runs_for_staff`), in two queries in all.

    A page of runs costs the same whatever its size: the statement counts and totals of
    every run are grouped in one query, the statements with a not-settleable line in another.
    """
    run_ids = [run.pk for run in runs]
    counts = {
        row["run_id"]: row
        for row in Statement.objects.filter(run_id__in=run_ids)
        .values("run_id")
        .annotate(
            statements=Count("pk"),
            total=Sum("total", filter=~Q(state=Statement.State.VOIDED)),
            flagged=Count("pk", filter=~Q(flags=[])),
        )
    }
    not_settleable = {
        row["run_id"]: row["count"]
        for row in Statement.objects.filter(run_id__in=run_ids, lines__kind="NOT_SETTLEABLE")
        .values("run_id")
        .annotate(count=Count("pk", distinct=True))
    }
    summaries = []
    for run in runs:
        row = counts.get(run.pk, {})
        summaries.append(
            {
                **_run_fields(run),
                "statements": row.get("statements", 0),
                "total": str(Decimal(row.get("total") or 0).quantize(CENT)),
                "flagged": row.get("flagged", 0),
                "not_settleable": not_settleable.get(run.pk, 0),
                "chunks": run.chunk_count,
                "inputs_sha256": run.inputs_sha256,
                "result_sha256": run.result_sha256,
                "error": run.error,
            }
        )
    return summaries


def _run_fields(run: SettlementRun) -> dict[str, object]:
    return {
        "run_id": run.pk,
        "program": run.program.code,
        "period_start": run.period_start.isoformat(),
        "period_end": run.period_end.isoformat(),
        "type": run.type.lower(),
        "status": run.status.lower(),
        "sequence": run.sequence,
        "started_by": run.started_by.email if run.started_by else None,
        "started_automatically": run.started_automatically,
    }


def programs_in_scope(*, user: User) -> QuerySet[Program]:
    """Return the programs a staff member's settlement role covers (all without limits)."""
    scoped = StaffProgramScope.objects.filter(user=user).values_list("program_id", flat=True)
    if scoped.exists():
        return Program.objects.filter(pk__in=scoped)
    return Program.objects.all()


def review_queue(
    *,
    user: User,
    program_code: str | None = None,
    period: str | None = None,
    flag: str | None = None,
    state: str | None = None,
    run_id: int | None = None,
) -> QuerySet[Statement]:
    """Return the statements a staff member may review, filtered, newest run first."""
    statements = Statement.objects.filter(run__program__in=programs_in_scope(user=user))
    if program_code:
        statements = statements.filter(run__program__code=program_code)
    if period:
        statements = statements.filter(run__period_start__startswith=period)
    if flag == "any":
        statements = statements.exclude(flags=[])
    elif flag == "none":
        statements = statements.filter(flags=[])
    elif flag:
        # A match on the quoted code in the JSON text: JSON containment is PostgreSQL-only,
        # and flag codes are plain identifiers, so the quotes make the match exact.
        statements = statements.filter(flags__icontains=f'"{flag}"')
    if state:
        statements = statements.filter(state=state.upper())
    if run_id:
        statements = statements.filter(run_id=run_id)
    return statements.select_related("run__program", "participant").order_by(
        "-run__period_start", "-run__sequence", "participant__email", "pk"
    )


def lines_of(*, statement: Statement) -> QuerySet[StatementLine]:
    """Return the statement's lines in order."""
    return StatementLine.objects.filter(statement=statement).order_by("number")


def previous_statements(*, statement: Statement) -> QuerySet[Statement]:
    """Return the participant's other statements of the same program and period, in run order."""
    return (
        Statement.objects.filter(
            participant=statement.participant,
            run__program=statement.run.program,
            run__period_start=statement.run.period_start,
            run__period_end=statement.run.period_end,
            run__sequence__lt=statement.run.sequence,
        )
        .select_related("run")
        .order_by("run__sequence")
    )


def statements_of_participant(*, participant: Participant) -> QuerySet[Statement]:
    """Return a participant's statements that owners may see: approved or released."""
    return (
        Statement.objects.filter(
            participant=participant,
            state__in=[Statement.State.APPROVED, Statement.State.RELEASED],
        )
        .select_related("run__program")
        .order_by("-run__period_start", "-run__sequence")
    )


def _line_dict(line: StatementLine, currency: str) -> dict[str, object]:
    return {
        "id": line.pk,
        "number": line.number,
        "kind": line.kind,
        "adjusts_kind": line.adjusts_kind,
        "label": line.label,
        "description": describe_line(line=line, currency=currency),
        "match_key": line.match_key,
        "kwh": str(line.kwh),
        "price": None if line.price is None else str(line.price),
        "amount": str(line.amount),
        "tariff_version": line.tariff_version_id,
        "rule_version": line.rule_version,
        "event_result": line.event_result,
        "lineage": line.lineage,
        "detail": line.detail,
    }


def describe_line(*, line: StatementLine, currency: str) -> str:
    """Return the line in plain words for an owner ("Exported 41.2 kWh during Peak at ...")."""
    if line.kind == "EXPORT_ENERGY" and line.price is not None and "subject" not in line.detail:
        # Vector lines (with a subject) are already a sentence: see `line_labels`.
        kwh = plain_number(line.kwh, 1)
        price = formatting.price(amount=line.price, currency=currency)
        return f"Exported {kwh} kWh during {line.label} at {price}"
    return line.label


def difference_from_previous(*, statement: Statement) -> dict[str, object] | None:
    """Return how this statement differs from the participant's statement in the run before.

    None for the first statement of the period. Lines are compared by match key.
    """
    previous = previous_statements(statement=statement).last()
    if previous is None:
        return None
    before = dict(previous.lines.values_list("match_key", "amount"))
    now = dict(statement.lines.values_list("match_key", "amount"))
    changes = [
        {
            "match_key": key,
            "previous": str(before.get(key, Decimal("0.00"))),
            "now": str(now.get(key, Decimal("0.00"))),
        }
        for key in sorted(set(before) | set(now))
        if before.get(key) != now.get(key)
    ]
    return {
        "previous_statement": previous.pk,
        "previous_run": previous.run_id,
        "previous_state": previous.state,
        "previous_total": str(previous.total),
        "total_change": str(statement.total - previous.total),
        "changes": changes,
    }


def statement_detail(*, statement: Statement, with_lineage: bool = True) -> dict[str, object]:
    """Return the statement as the staff API shows it: lines, transitions, difference."""
    lines = [_line_dict(line, statement.currency) for line in lines_of(statement=statement)]
    if not with_lineage:
        for line in lines:
            del line["lineage"], line["match_key"]
    return {
        "id": statement.pk,
        "run": statement.run_id,
        "run_type": statement.run.type.lower(),
        "program": statement.run.program.code,
        "period_start": statement.run.period_start.isoformat(),
        "period_end": statement.run.period_end.isoformat(),
        "participant": statement.participant.email,
        "currency": statement.currency,
        "state": statement.state,
        "total": str(statement.total),
        "flags": statement.flags,
        "content_sha256": statement.content_sha256,
        "lines": lines,
        "transitions": [
            {
                "action": transition.action,
                "from_state": transition.from_state,
                "to_state": transition.to_state,
                "actor": transition.actor.email if transition.actor else None,
                "reason": transition.reason,
                "at": transition.at.isoformat(),
            }
            for transition in statement.transitions.select_related("actor").order_by("at", "pk")
        ],
        "difference_from_previous": difference_from_previous(statement=statement),
    }


def owner_statement(*, statement: Statement) -> dict[str, object]:
    """Return the statement as its owner sees it: plain lines, no internal keys."""
    return {
        "id": statement.pk,
        "program": statement.run.program.code,
        "period_start": statement.run.period_start.isoformat(),
        "period_end": statement.run.period_end.isoformat(),
        "run_type": statement.run.type.lower(),
        "state": statement.state,
        "currency": statement.currency,
        "total": str(statement.total),
        "lines": [
            {
                "kind": line.kind,
                "description": describe_line(line=line, currency=statement.currency),
                "kwh": str(line.kwh),
                "price": None if line.price is None else str(line.price),
                "amount": str(line.amount),
            }
            for line in lines_of(statement=statement)
        ],
    }
