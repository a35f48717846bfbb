"""Who may see which statement: the one lookup per object kind that interfaces use."""

from accounts import queries as account_queries
from accounts.models import User
from settlement.errors import NotFound
from settlement.statements.models import SettlementRun, Statement
from settlement.statements.review import queries as statement_queries


class StatementNotFound(NotFound):
    """No statement with this id is visible to the caller."""

    code = "statement_not_found"


class RunNotFound(NotFound):
    """No settlement run with this id is visible to the caller."""

    code = "run_not_found"


def access_statement_for_owner(*, user: User, statement_id: int) -> Statement:
    """Return an approved or released statement of one of the user's participants.

    Raises StatementNotFound otherwise (someone else's, or not yet approved, look the same).
    """
    statement = (
        Statement.objects.filter(
            pk=statement_id,
            participant__in=account_queries.participants_of(user=user),
            state__in=[Statement.State.APPROVED, Statement.State.RELEASED],
        )
        .select_related("run__program", "participant")
        .first()
    )
    if statement is None:
        raise StatementNotFound(f"no statement {statement_id}")
    return statement


def access_statement_for_staff(*, user: User, statement_id: int) -> Statement:
    """Return the statement if it belongs to a program in the staff member's scope."""
    statement = (
        Statement.objects.filter(
            pk=statement_id, run__program__in=statement_queries.programs_in_scope(user=user)
        )
        .select_related("run__program", "run__started_by", "participant")
        .first()
    )
    if statement is None or not account_queries.is_staff_user(user=user):
        raise StatementNotFound(f"no statement {statement_id}")
    return statement


def access_run_for_staff(*, user: User, run_id: int) -> SettlementRun:
    """Return the run if its program is in the staff member's scope."""
    run = (
        SettlementRun.objects.filter(
            pk=run_id, program__in=statement_queries.programs_in_scope(user=user)
        )
        .select_related("program")
        .first()
    )
    if run is None or not account_queries.is_staff_user(user=user):
        raise RunNotFound(f"no run {run_id}")
    return run
