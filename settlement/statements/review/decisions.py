"""Review operations: approve, hold, void and release statements, maker-checker enforced.

Every move records a `StatementTransition` (who, when, why). Approving is refused to the
person who started the run; at or above the program's two-approver amount the statement
stays where it is after the first approval and is approved by a second, different person.
The approval that completes it posts its total to the ledger in the same transaction.

A bulk approval (`approve_clean`) is one transaction, one commit: every refusal is raised
before its statement's writes, so a refused statement is skipped untouched. What it reads
once for all (the actor's role per program, the programs' settings, the earlier
approvals, the ledger accounts) is read under the locks of every statement it decides.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from settlement.errors import DomainError, PermissionDenied
from settlement.ledger import booking
from settlement.rating.money import to_cents
from settlement.statements.models import SettlementRun, Statement, StatementTransition
from settlement.statements.review import queries as statement_queries
from settlement.statements.review import roles, tasks


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


@dataclass
class _Approving:
    """What approvals by one actor in one transaction read once, not once per statement."""

    actor: User
    # Programs the actor was found to hold the approver role in (a refusal is not kept: it
    # is raised again, with its message, for each statement it concerns).
    approver_in: set[int] = field(default_factory=set)
    two_approver_amount: dict[int, Decimal] = field(default_factory=dict)
    accounts: booking.AccountCache = field(default_factory=booking.AccountCache)

    def require_approver(self, statement: Statement) -> None:
        program = statement.run.program
        if program.pk not in self.approver_in:
            roles.require_role(
                user=self.actor, program=program, permissions=(roles.APPROVE_PERMISSION,)
            )
            self.approver_in.add(program.pk)

    def approvals_needed(self, statement: Statement) -> int:
        program = statement.run.program
        if program.pk not in self.two_approver_amount:
            self.two_approver_amount[program.pk] = statement_queries.settlement_settings(
                program=program
            ).two_approver_amount
        return 2 if abs(statement.total) >= self.two_approver_amount[program.pk] else 1


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ReasonRequired("give a reason for the decision", details={"field": "reason"})
    return text[:2000]


def _locking() -> QuerySet[Statement]:
    # The run, program and participant rows are locked with the statement, as always.
    return Statement.objects.select_for_update().select_related("run__program", "participant")


def _locked(statement: Statement) -> Statement:
    return _require_run_completed(_locking().get(pk=statement.pk))


def _require_run_completed(locked: Statement) -> Statement:
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


def _approvers_by_statement(statement_ids: list[int]) -> dict[int, list[int]]:
    """Return, per statement, the ids of the people whose approvals count, in order."""
    holds_and_approvals = (
        StatementTransition.objects.filter(
            statement_id__in=statement_ids,
            action__in=(StatementTransition.Action.HOLD, StatementTransition.Action.APPROVE),
        )
        .order_by("statement_id", "at", "pk")
        .values_list("statement_id", "pk", "at", "action", "actor_id")
    )
    rows: dict[int, list[tuple[int, datetime, str, int | None]]] = {}
    for statement_id, pk, at, action, actor_id in holds_and_approvals:
        rows.setdefault(statement_id, []).append((pk, at, action, actor_id))
    approvers: dict[int, list[int]] = {}
    for statement_id, found in rows.items():
        holds = [(at, pk) for pk, at, action, _ in found if action == "HOLD"]
        # Transitions are appended under the statement's row lock, so pk orders them.
        after = max(holds)[1] if holds else 0
        approvers[statement_id] = [
            actor_id
            for pk, _, action, actor_id in found
            if action == "APPROVE" and pk > after and actor_id is not None
        ]
    return approvers


def approvers_of(*, statement: Statement) -> list[int]:
    """Return the ids of the people whose approvals count, in order.

    Only approvals after the latest HOLD count: a hold means something was found wrong, so
    an approval given before it no longer vouches for the statement.
    """
    return _approvers_by_statement([statement.pk]).get(statement.pk, [])


def approvals_needed(*, statement: Statement) -> int:
    """Return how many different approvers the statement needs (one or two)."""
    limit = statement_queries.settlement_settings(program=statement.run.program).two_approver_amount
    return 2 if abs(statement.total) >= limit else 1


def _book(statement: Statement, now: datetime, accounts: booking.AccountCache) -> None:
    booking.book_statement_approval(
        statement_id=statement.pk,
        run_id=statement.run_id,
        period_start=statement.run.period_start,
        program=statement.run.program,
        participant=statement.participant,
        currency=statement.currency,
        cents=to_cents(statement.total),
        now=now,
        accounts=accounts,
    )


def _check_approval(statement: Statement, *, approving: _Approving, approvers: list[int]) -> bool:
    """Return whether the actor's approval completes the locked statement; write nothing.

    Every refusal of an approval is raised here, before anything is written, so a refused
    statement in a bulk approval has nothing to roll back. `approvers` are the statement's
    earlier approvers, read under its lock.
    """
    actor = approving.actor
    _require_run_completed(statement)
    approving.require_approver(statement)
    _require_state(statement, "approved")
    if statement.run.started_by_id == actor.pk:
        raise MakerCheckerViolation(
            "the person who started the run cannot approve its statements",
            details={"run": statement.run_id},
        )
    if actor.pk in approvers:
        raise MakerCheckerViolation(
            "a second approval must come from a different person",
            details={"approvers": len(approvers)},
        )
    return len(approvers) + 1 >= approving.approvals_needed(statement)


def _record_approval(
    statement: Statement, *, approving: _Approving, complete: bool, text: str, now: datetime
) -> Statement:
    """Write a checked approval: its transition, and when it completes, state and ledger entry."""
    to_state = Statement.State.APPROVED if complete else statement.state
    _move(
        statement, action="APPROVE", to_state=to_state, actor=approving.actor, reason=text, now=now
    )
    if complete:
        _book(statement, now, approving.accounts)
        # The owner hears of it once the approval commits (in a worker, not this request).
        statement_id = statement.pk
        transaction.on_commit(lambda: tasks.tell_statement_ready.delay(statement_id=statement_id))
    return statement


def approve(*, statement: Statement, actor: User, reason: str, now: datetime) -> Statement:
    """Return the statement approved by `actor` (or awaiting its second approver).

    Raises RoleRequired, MakerCheckerViolation, ReasonRequired, RunNotCompleted or
    TransitionNotAllowed. The approval that completes it posts the total to the ledger.
    """
    text = _reason(reason)
    with transaction.atomic():
        locked = _locking().get(pk=statement.pk)
        approving = _Approving(actor=actor)
        complete = _check_approval(
            locked, approving=approving, approvers=approvers_of(statement=locked)
        )
        return _record_approval(locked, approving=approving, complete=complete, text=text, now=now)


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

    Each approval is its own outcome: a statement the actor may not approve (maker-checker,
    role, a state changed meanwhile) is skipped with its error's code and message, having
    written nothing, while the others are approved; a flagged or held statement is
    skipped as "not_clean" (it needs a look); decided statements (approved, released,
    voided) are not candidates and are not listed. The whole batch is one transaction (one
    commit): an error that is not a refusal (a database error, a ledger conflict) approves
    none of it. Raises ReasonRequired before approving anything.
    """
    text = _reason(reason)
    given = list(statements)
    candidates = [statement for statement in given if _clean(statement) is None]
    outcome = BulkApproval()
    with transaction.atomic():
        ids = sorted(statement.pk for statement in candidates)
        # Chunks keep each query's parameters under SQLite's limit, whatever the batch.
        chunks = [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
        # Every candidate's row first, alone and in id order, as two batches over the same
        # statements then queue instead of deadlocking; then their runs, programs and
        # participants, which a single approval locks with its statement.
        for chunk in chunks:
            list(
                Statement.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        locked: dict[int, Statement] = {}
        approvers: dict[int, list[int]] = {}
        for chunk in chunks:
            locked.update(
                (statement.pk, statement) for statement in _locking().filter(pk__in=chunk)
            )
            approvers.update(_approvers_by_statement(chunk))
        approving = _Approving(actor=actor)
        for statement in given:
            if statement.state in _DECIDED:
                continue
            why = _clean(statement)
            if why is not None:
                outcome.skipped.append(Skipped(statement, "not_clean", why))
                continue
            locked_statement = locked[statement.pk]
            try:
                complete = _check_approval(
                    locked_statement,
                    approving=approving,
                    approvers=approvers.get(statement.pk, []),
                )
            except (PermissionDenied, TransitionNotAllowed, RunNotCompleted) as refusal:
                # One refusal is about one statement: the rest of the batch is still decided.
                outcome.skipped.append(Skipped(statement, refusal.code, refusal.message))
                continue
            # No savepoint per statement: a refused one wrote nothing (above). A savepoint
            # would cost two round trips and, on PostgreSQL, a subtransaction per statement
            # whose lock and update of the program's one expense account make multixacts:
            # measured, the batch's commit took 15.4 s instead of 2.3 s for 2,000 statements
            # (docs/performance.md). An error while writing fails the whole batch.
            decided = _record_approval(
                locked_statement, approving=approving, complete=complete, text=text, now=now
            )
            if decided.state == Statement.State.APPROVED:
                outcome.approved.append(decided)
            else:
                outcome.awaiting_second.append(decided)
    return outcome


_CHUNK = 900
_DECIDED = (Statement.State.APPROVED, Statement.State.RELEASED, Statement.State.VOIDED)


def _clean(statement: Statement) -> str | None:
    """Return why a statement is not a candidate for bulk approval, or None if it is one.

    Decided statements are not candidates either (and are not reported).
    """
    if statement.state in _DECIDED:
        return "decided"
    if statement.state != Statement.State.DRAFT or statement.flags:
        return (
            f"flagged ({', '.join(statement.flags)}): it needs a review"
            if statement.flags
            else f"it is {statement.state.lower()}"
        )
    return None
