"""Review operations: approve, hold, void and release statements, maker-checker enforced.

Every move records a `StatementTransition` (who, when, why). Approving is refused to the
person who started the run; at or above the program's two-approver amount the statement
stays where it is after the first approval and is approved by a second, different person.
The approval that completes it posts its total to the ledger in the same transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
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
    """Return the ids of the people whose approvals count, in order.

    Only approvals after the latest HOLD count: a hold means something was found wrong, so
    an approval given before it no longer vouches for the statement.
    """
    transitions = StatementTransition.objects.filter(statement=statement)
    last_hold = (
        transitions.filter(action=StatementTransition.Action.HOLD).order_by("-at", "-pk").first()
    )
    approvals = transitions.filter(action=StatementTransition.Action.APPROVE)
    if last_hold is not None:
        # Transitions are appended under the statement's row lock, so pk orders them.
        approvals = approvals.filter(pk__gt=last_hold.pk)
    return list(approvals.order_by("at", "pk").values_list("actor_id", flat=True))


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
    # A hold means something was found wrong: approvals given before it stop counting.
    resets_approvals: bool = False


# Reviewers and approvers both may stop a statement for a closer look.
_HOLD = _Decision("HOLD", "held", "HELD", (roles.REVIEW_PERMISSION, roles.APPROVE_PERMISSION), True)
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
        earlier = len(approvers_of(statement=statement)) if decision.resets_approvals else 0
        if earlier:
            # The audit trail says why the statement asks for its approvals again.
            text = (
                f"{text} (resets {earlier} approval{'s' if earlier > 1 else ''} given before "
                "the hold: it needs its approvals again)"
            )
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
    """Return the statement held for investigation.

    Approvals given before the hold stop counting (`approvers_of`); the HOLD transition's
    reason says how many were reset. Approving a held statement needs all its approvals
    again; it stays HELD until the last one.
    """
    return _decide(_HOLD, statement=statement, actor=actor, reason=reason, now=now)


def void(*, statement: Statement, actor: User, reason: str, now: datetime) -> Statement:
    """Return the statement voided: it will never be paid (a recalculation replaces it)."""
    return _decide(_VOID, statement=statement, actor=actor, reason=reason, now=now)


def release(*, statement: Statement, actor: User, reason: str, now: datetime) -> Statement:
    """Return the approved statement released to payouts."""
    return _decide(_RELEASE, statement=statement, actor=actor, reason=reason, now=now)


@dataclass(frozen=True)
class Skipped:
    """A statement a bulk approval left as it was, and why (a code and a sentence)."""

    statement: Statement
    code: str
    reason: str


@dataclass(frozen=True)
class BulkApproval:
    """What a bulk approval did to each statement it was given."""

    # Approved now (the approval that completed them was this one, and it was posted).
    approved: list[Statement] = field(default_factory=list)
    # This approval recorded, the statement still waits for a second, different approver.
    awaiting_second: list[Statement] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def approve_clean(
    *, statements: Iterable[Statement], actor: User, reason: str, now: datetime
) -> BulkApproval:
    """Return what approving each clean (unflagged draft) statement among `statements` did.

    Each approval is its own transaction and its own outcome: a statement the actor may not
    approve (maker-checker, role, a state changed meanwhile) is skipped with its error's code
    and message while the others are approved; a flagged or held statement is skipped as
    "not_clean" (it needs a look); decided statements (approved, released, voided) are not
    candidates and are not listed. Raises ReasonRequired before approving anything.
    """
    text = _reason(reason)
    outcome = BulkApproval()
    for statement in statements:
        if statement.state in (
            Statement.State.APPROVED,
            Statement.State.RELEASED,
            Statement.State.VOIDED,
        ):
            continue
        if statement.state != Statement.State.DRAFT or statement.flags:
            why = (
                f"flagged ({', '.join(statement.flags)}): it needs a review"
                if statement.flags
                else f"it is {statement.state.lower()}"
            )
            outcome.skipped.append(Skipped(statement, "not_clean", why))
            continue
        try:
            decided = approve(statement=statement, actor=actor, reason=text, now=now)
        except (PermissionDenied, TransitionNotAllowed, RunNotCompleted) as refusal:
            # One refusal is about one statement: the rest of the batch is still decided.
            outcome.skipped.append(Skipped(statement, refusal.code, refusal.message))
            continue
        if decided.state == Statement.State.APPROVED:
            outcome.approved.append(decided)
        else:
            outcome.awaiting_second.append(decided)
    return outcome
