"""Review operations: approve, hold, void and release statements, maker-checker enforced.

Every move records a `StatementTransition` (who, when, why). Approving is refused to the
person who started the run; at or above the program's two-approver amount the statement
stays where it is after the first approval and is approved by a second, different person.
The approval that completes it posts its total to the ledger in the same transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from accounts.models import User
from settlement.errors import DomainError, PermissionDenied
from settlement.ledger import booking
from settlement.rating.money import to_cents
from settlement.statements.models import SettlementRun, Statement, StatementTransition
from settlement.statements.review import queries as statement_queries
from settlement.statements.review import roles


class TransitionNotAllowed(DomainError):
    """The statement's state does not allow this move."""

    code = "transition_not_allowed"
    http_status = 409


class ReasonRequired(DomainError):
    """A review decision needs a reason in words."""

    code = "reason_required"


class MakerCheckerViolation(PermissionDenied):
    """The person who started the run, or who already approved, cannot approve it."""

    code = "maker_checker"


class RunNotCompleted(DomainError):
    """Statements of a run that has not completed cannot be decided on."""

    code = "run_not_completed"
    http_status = 409


def _require_role(user: User, statement: Statement, permission: str) -> None:
    roles.require_role(user=user, program=statement.run.program, permissions=(permission,))


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ReasonRequired("give a reason for the decision", details={"field": "reason"})
    return text[:2000]


def _locked(statement: Statement) -> Statement:
    locked = (
        Statement.objects.select_for_update()
        .select_related("run__program", "participant")
        .get(pk=statement.pk)
    )
    if locked.run.status != SettlementRun.Status.COMPLETED:
        raise RunNotCompleted(
            f"run {locked.run_id} is {locked.run.status.lower()}", details={"run": locked.run_id}
        )
    return locked


# The states each decision may start from; anything else is refused with the verb in words.
_DECIDABLE = (Statement.State.DRAFT, Statement.State.NEEDS_REVIEW, Statement.State.HELD)
_ALLOWED_FROM = {
    "approved": _DECIDABLE,
    "held": (Statement.State.DRAFT, Statement.State.NEEDS_REVIEW),
    "voided": _DECIDABLE,
    "released": (Statement.State.APPROVED,),
}


def _require_state(statement: Statement, becomes: str) -> None:
    if statement.state not in _ALLOWED_FROM[becomes]:
        raise TransitionNotAllowed(
            f"statement {statement.pk} is {statement.state.lower()}; it cannot be {becomes}",
            details={"state": statement.state},
        )


def _move(
    statement: Statement, *, action: str, to_state: str, actor: User, reason: str, now: datetime
) -> None:
    StatementTransition.objects.create(
        statement=statement,
        action=action,
        from_state=statement.state,
        to_state=to_state,
        actor=actor,
        reason=reason,
        at=now,
    )
    if to_state != statement.state:
        statement.state = to_state
        fields = ["state"]
        if to_state == Statement.State.APPROVED:
            statement.approved_at = now
            fields.append("approved_at")
        statement.save(update_fields=fields)


def approvers_of(*, statement: Statement) -> list[int]:
    """Return the ids of the people who approved the statement, in order."""
    return list(
        StatementTransition.objects.filter(
            statement=statement, action=StatementTransition.Action.APPROVE
        )
        .order_by("at", "pk")
        .values_list("actor_id", flat=True)
    )


def approvals_needed(*, statement: Statement) -> int:
    """Return how many different approvers the statement needs (one or two)."""
    limit = statement_queries.settlement_settings(program=statement.run.program).two_approver_amount
    return 2 if abs(statement.total) >= limit else 1


def _book(statement: Statement, now: datetime) -> None:
    booking.book_statement_approval(
        statement_id=statement.pk,
        run_id=statement.run_id,
        period_start=statement.run.period_start,
        program=statement.run.program,
        participant=statement.participant,
        currency=statement.currency,
        cents=to_cents(statement.total),
        now=now,
    )


def approve(*, statement: Statement, actor: User, reason: str, now: datetime) -> Statement:
    """Return the statement approved by `actor` (or awaiting its second approver).

    Raises RoleRequired, MakerCheckerViolation, ReasonRequired, RunNotCompleted or
    TransitionNotAllowed. The approval that completes it posts the total to the ledger.
    """
    text = _reason(reason)
    with transaction.atomic():
        statement = _locked(statement)
        _require_role(actor, statement, roles.APPROVE_PERMISSION)
        _require_state(statement, "approved")
        if statement.run.started_by_id == actor.pk:
            raise MakerCheckerViolation(
                "the person who started the run cannot approve its statements",
                details={"run": statement.run_id},
            )
        approvers = approvers_of(statement=statement)
        if actor.pk in approvers:
            raise MakerCheckerViolation(
                "a second approval must come from a different person",
                details={"approvers": len(approvers)},
            )
        complete = len(approvers) + 1 >= approvals_needed(statement=statement)
        to_state = Statement.State.APPROVED if complete else statement.state
        _move(statement, action="APPROVE", to_state=to_state, actor=actor, reason=text, now=now)
        if complete:
            _book(statement, now)
        return statement


@dataclass(frozen=True)
class _Decision:
    """A move that only records itself: its action, the state it leads to, who may make it."""

    action: str
    becomes: str
    to_state: str
    permissions: tuple[str, ...]


# Reviewers and approvers both may stop a statement for a closer look.
_HOLD = _Decision("HOLD", "held", "HELD", (roles.REVIEW_PERMISSION, roles.APPROVE_PERMISSION))
_VOID = _Decision("VOID", "voided", "VOIDED", (roles.APPROVE_PERMISSION,))
_RELEASE = _Decision("RELEASE", "released", "RELEASED", (roles.APPROVE_PERMISSION,))


def _decide(
    decision: _Decision, *, statement: Statement, actor: User, reason: str, now: datetime
) -> Statement:
    """Move one statement under its row lock, once `actor` holds one of the roles."""
    text = _reason(reason)
    with transaction.atomic():
        statement = _locked(statement)
        roles.require_role(
            user=actor, program=statement.run.program, permissions=decision.permissions
        )
        _require_state(statement, decision.becomes)
        _move(
            statement,
            action=decision.action,
            to_state=decision.to_state,
            actor=actor,
            reason=text,
            now=now,
        )
        return statement


def hold(*, statement: Statement, actor: User, reason: str, now: datetime) -> Statement:
    """Return the statement held for investigation (not approvable until decided)."""
    return _decide(_HOLD, statement=statement, actor=actor, reason=reason, now=now)


def void(*, statement: Statement, actor: User, reason: str, now: datetime) -> Statement:
    """Return the statement voided: it will never be paid (a recalculation replaces it)."""
    return _decide(_VOID, statement=statement, actor=actor, reason=reason, now=now)


def release(*, statement: Statement, actor: User, reason: str, now: datetime) -> Statement:
    """Return the approved statement released to payouts."""
    return _decide(_RELEASE, statement=statement, actor=actor, reason=reason, now=now)


def approve_clean(
    *, statements: Iterable[Statement], actor: User, reason: str, now: datetime
) -> list[Statement]:
    """Return the clean (unflagged draft) statements among `statements`, each approved.

    Flagged statements are skipped (they need a look); each approval is its own
    transaction, and the first refusal (role, maker-checker) stops the batch.
    """
    approved = []
    for statement in statements:
        if statement.state == Statement.State.DRAFT and not statement.flags:
            approved.append(approve(statement=statement, actor=actor, reason=reason, now=now))
    return approved
