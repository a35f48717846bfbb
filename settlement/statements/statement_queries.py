"""Reads about settlement runs and statements: summaries, review queues, line details."""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import Participant, Program, User
from settlement.errors import NotFound
from settlement.rating.money import CENT
from settlement.statements.models import SettlementRun, StaffProgramScope, Statement, StatementLine


class ProgramNotFound(NotFound):
    """No program has this code."""

    code = "program_not_found"


def program_by_code(*, code: str) -> Program:
    """Return the program with `code`; raises ProgramNotFound."""
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise ProgramNotFound(f"program: no program {code!r}", details={"field": "program"})
    return program


def run_summary(*, run: SettlementRun) -> dict[str, object]:
    """Return the JSON summary of a run that `settle` prints and the staff API returns."""
    statements = Statement.objects.filter(run=run)
    totals = statements.exclude(state=Statement.State.VOIDED).aggregate(total=Sum("total"))
    return {
        "run_id": run.pk,
        "program": run.program.code,
        "period_start": run.period_start.isoformat(),
        "period_end": run.period_end.isoformat(),
        "type": run.type.lower(),
        "status": run.status.lower(),
        "sequence": run.sequence,
        "statements": statements.count(),
        "total": str(Decimal(totals["total"] or 0).quantize(CENT)),
        "flagged": statements.exclude(flags=[]).count(),
        "not_settleable": statements.filter(lines__kind="NOT_SETTLEABLE").distinct().count(),
        "chunks": run.chunk_count,
        "inputs_sha256": run.inputs_sha256,
        "result_sha256": run.result_sha256,
        "error": run.error,
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
        statements = statements.filter(flags__contains=[flag])
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


def statement_counts_by_state(*, statements: QuerySet[Statement]) -> dict[str, int]:
    """Return how many of `statements` are in each state."""
    return dict(statements.values_list("state").annotate(count=Count("pk")).order_by("state"))


def has_not_settleable(*, statement: Statement) -> bool:
    """Return whether any line of the statement could not be settled."""
    return statement.lines.filter(Q(kind="NOT_SETTLEABLE")).exists()
