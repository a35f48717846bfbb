"""Writes for payouts: create from ledger balances, send exactly once, reconcile, reverse.

The exactly-once argument, step by step:

1. A payout row, its idempotency key and the ledger move payable -> in transit are committed
   together, before anything is sent. One open payout per participant and currency is a
   unique constraint, so no balance is paid twice by two runs.
2. A worker claims the row (PENDING -> SENDING under a row lock) and calls Stripe with the
   row's key. Every later call for this payout carries the same key, so Stripe makes at most
   one transfer for it while it remembers the key (24 h).
3. Only a definite answer moves the row on: a transfer (-> PAID, in transit -> cash) or a
   refusal (4xx -> FAILED, in transit -> payable). A 5xx or a busy key puts it back to
   PENDING with a backoff; a timeout or a lost connection, or a worker that died while
   SENDING, leaves an UNKNOWN outcome.
4. An UNKNOWN payout is reconciled before anything is sent again: the platform's transfers
   in the payout's transfer group are listed; a transfer found confirms the payout; none
   found sends again under the same key, or under a new key once the old one may have been
   forgotten (the listing has then shown that no transfer exists).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from accounts.models import Participant, Program
from settlement.errors import DomainError
from settlement.ledger import booking
from settlement.ledger import queries as ledger_queries
from settlement.payouts import gateway, notifications, queries, tasks
from settlement.payouts.models import (
    BankPayoutFailure,
    Payout,
    PayoutAccount,
    PayoutMethod,
    PayoutReturn,
    PayoutStatement,
)

logger = logging.getLogger(__name__)

# Stripe may forget an idempotency key after 24 h; a new key is used only after that, and
# only after listing the transfer group found nothing.
KEY_REUSE_WINDOW = timedelta(hours=23)


class PayoutNotFound(DomainError):
    """No payout with this id."""

    code = "payout_not_found"
    http_status = 404


class TransferMismatch(DomainError):
    """Stripe reports a transfer for this payout that does not match it."""

    code = "payout_transfer_mismatch"
    http_status = 409


@dataclass
class Skip:
    """A participant with a balance that this run does not pay, and why."""

    participant_id: int
    currency: str
    balance_cents: int
    reason: str


@dataclass
class RunSummary:
    """What `run_payouts` did, as its JSON prints it."""

    created: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    unknown: int = 0
    total: int = 0
    total_cents: int = 0
    skips: list[Skip] = field(default_factory=list)
    payout_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SendOutcome:
    """What one send attempt ended in; `retry_in_s` is set when it should be tried again."""

    status: str
    retry_in_s: float | None = None


# -- payout methods and minimums ---


def payout_method(*, program: Program) -> str:
    """Return how a program pays: its setting, else Stripe with a key, else manual."""
    configured = getattr(program, "payout_settings", None)
    if configured is not None:
        return str(configured.method)
    return PayoutMethod.STRIPE_CONNECT if gateway.is_configured() else PayoutMethod.MANUAL


def minimum_cents(*, program: Program) -> int:
    """Return the smallest balance the program pays out (smaller balances roll over)."""
    configured = getattr(program, "payout_settings", None)
    return int(configured.minimum_cents) if configured is not None else 0


# -- creating payouts ---


def _readiness(*, participant: Participant, method: str) -> str:
    """Return why the participant cannot be paid by `method` now ('' when they can)."""
    if method != PayoutMethod.STRIPE_CONNECT:
        return ""
    if not gateway.is_configured():
        return "the program pays through Stripe, and no Stripe key is configured"
    account = PayoutAccount.objects.filter(participant=participant).first()
    if account is None:
        return "no payout account connected yet"
    if not account.payouts_enabled:
        missing = ", ".join(queries.plain_requirements(account.requirements_due)) or "review"
        return f"the payout account cannot receive payouts yet (missing: {missing})"
    return ""


def create_payout(
    *, participant: Participant, currency: str, now: datetime
) -> Payout | Skip | None:
    """Return the payout created for the participant's payable balance, a Skip, or None.

    None when there is nothing to pay. One transaction: the row, its key and the ledger
    move payable -> in transit; a Stripe payout's send is enqueued when it commits.
    """
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        payable = ledger_queries.participant_payable_cents(
            participant=participant, currency=currency
        )
        receivable = ledger_queries.participant_receivable_cents(
            participant=participant, currency=currency
        )
        held_back = queries.unreleased_cents(participant=participant, currency=currency)
        balance = payable - receivable - held_back
        if balance <= 0:
            return None
        if Payout.objects.filter(
            participant=participant, currency=currency, status__in=Payout.OPEN_STATUSES
        ).exists():
            return Skip(participant.pk, currency, balance, "a payout is already on its way")
        program = queries.paying_program(participant=participant, currency=currency)
        if program is None:
            return Skip(
                participant.pk, currency, balance, "not enrolled in a program in " + currency
            )
        minimum = minimum_cents(program=program)
        if balance < minimum:
            return Skip(
                participant.pk,
                currency,
                balance,
                f"balance {queries.format_cents(balance, currency)} is below the program minimum "
                f"of {queries.format_cents(minimum, currency)}; it rolls over",
            )
        method = payout_method(program=program)
        reason = _readiness(participant=participant, method=method)
        if reason:
            return Skip(participant.pk, currency, balance, reason)
        account = PayoutAccount.objects.filter(participant=participant).first()
        payout = Payout.objects.create(
            participant=participant,
            program=program,
            method=method,
            amount_cents=balance,
            currency=currency,
            destination=account.stripe_account_id
            if account and method == PayoutMethod.STRIPE_CONNECT
            else "",
            created_at=now,
            updated_at=now,
        )
        payout.transfer_group = f"v2g-payout-{payout.pk}"
        payout.idempotency_key = f"v2g-payout-{payout.pk}-g{payout.key_generation}"
        payout.key_created_at = now
        payout.save(update_fields=["transfer_group", "idempotency_key", "key_created_at"])
        PayoutStatement.objects.bulk_create(
            PayoutStatement(payout=payout, statement=statement)
            for statement in queries.released_unpaid_statements(
                participant=participant, currency=currency
            )
        )
        if receivable > 0:
            # What the participant owes back is netted against what they are owed.
            booking.book_receivable_offset(
                payout_id=payout.pk,
                participant=participant,
                currency=currency,
                cents=receivable,
                now=now,
            )
        booking.book_payout_sent(
            payout_id=payout.pk,
            participant=participant,
            currency=currency,
            cents=balance,
            method=method,
            now=now,
        )
        if method == PayoutMethod.STRIPE_CONNECT:
            _enqueue_send(payout.pk)
        return payout


def _enqueue_send(payout_id: int, *, countdown: float | None = None) -> None:
    # A task enqueued inside the transaction could run before the row is visible.
    transaction.on_commit(lambda: _dispatch_send(payout_id, countdown=countdown))


def _dispatch_send(payout_id: int, *, countdown: float | None = None) -> None:
    tasks.send_payout.apply_async(kwargs={"payout_id": payout_id}, countdown=countdown or 0)


def _dispatch_reconcile(payout_id: int, *, countdown: float | None = None) -> None:
    tasks.reconcile_payout.apply_async(kwargs={"payout_id": payout_id}, countdown=countdown or 0)


def run_payouts(*, now: datetime, participant_ids: list[int] | None = None) -> RunSummary:
    """Return what one payout run did: pay every balance that is due, resend, reconcile.

    Idempotent: a second run right after the first creates nothing, since the balances
    then sit in transit and each has an open payout.
    """
    summary = RunSummary()
    for participant, currency in queries.participants_with_payable(participant_ids=participant_ids):
        summary.total += 1
        try:
            result = create_payout(participant=participant, currency=currency, now=now)
        except IntegrityError:
            # A concurrent run created the open payout first.
            result = Skip(participant.pk, currency, 0, "a payout is already on its way")
        if isinstance(result, Payout):
            summary.created += 1
            summary.total_cents += result.amount_cents
            summary.payout_ids.append(result.pk)
        elif isinstance(result, Skip):
            summary.skipped += 1
            summary.skips.append(result)
    quiet_for = timedelta(seconds=settings.PAYOUT_REDISPATCH_AFTER_SECONDS)
    resend = [
        pk
        for pk in queries.payouts_due_for_sending(now=now, quiet_for=quiet_for).values_list(
            "pk", flat=True
        )
        if pk not in summary.payout_ids
    ]
    recheck = list(
        queries.payouts_to_reconcile(
            now=now,
            stale_after=timedelta(seconds=settings.PAYOUT_SENDING_STALE_SECONDS),
            quiet_for=quiet_for,
        ).values_list("pk", flat=True)
    )
    # Marked as touched, so the next run does not queue the same work again meanwhile.
    Payout.objects.filter(
        pk__in=resend + recheck, status__in=[Payout.Status.PENDING, Payout.Status.UNKNOWN]
    ).update(updated_at=now)
    for payout_id in resend:
        _dispatch_send(payout_id)
    for payout_id in recheck:
        _dispatch_reconcile(payout_id)
    touched = Payout.objects.filter(pk__in=summary.payout_ids)
    summary.sent = touched.filter(
        method=PayoutMethod.STRIPE_CONNECT, status__in=["SENDING", "PAID", "PENDING"]
    ).count()
    summary.failed = touched.filter(status=Payout.Status.FAILED).count()
    summary.unknown = Payout.objects.filter(status=Payout.Status.UNKNOWN).count()
    return summary


# -- sending ---


def _backoff_s(attempt: int) -> float:
    return float(min(settings.PAYOUT_RETRY_BASE_SECONDS * 2 ** (attempt - 1), 3600))


def _claim(*, payout_id: int, now: datetime) -> Payout | None:
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None:
            raise PayoutNotFound(f"payout {payout_id} does not exist")
        if payout.method != PayoutMethod.STRIPE_CONNECT or payout.status != Payout.Status.PENDING:
            return None
        if payout.next_attempt_at is not None and payout.next_attempt_at > now:
            return None
        payout.status = Payout.Status.SENDING
        payout.sending_since = now
        payout.send_attempts += 1
        payout.updated_at = now
        payout.save()
        return payout


def send_payout(*, payout_id: int, now: datetime) -> SendOutcome:
    """Return the outcome of sending a PENDING Stripe payout once (a no-op in any other state).

    Raises PayoutNotFound. Gateway errors are outcomes here, not exceptions.
    """
    payout = _claim(payout_id=payout_id, now=now)
    if payout is None:
        return SendOutcome("NOTHING_TO_DO")
    try:
        transfer = gateway.create_transfer(
            amount_cents=payout.amount_cents,
            currency=payout.currency,
            destination=payout.destination,
            transfer_group=str(payout.transfer_group),
            metadata={"payout_id": str(payout.pk), "participant_id": str(payout.participant_id)},
            idempotency_key=str(payout.idempotency_key),
        )
    except gateway.RequestRefused as error:
        fail_payout(
            payout_id=payout.pk,
            code=str(error.details.get("stripe_code") or error.code),
            message=error.message,
            now=now,
        )
        return SendOutcome(Payout.Status.FAILED)
    except gateway.OutcomeUnknown as error:
        _mark_unknown(payout_id=payout.pk, message=error.message, now=now)
        return SendOutcome(Payout.Status.UNKNOWN)
    except gateway.RetryableGatewayError as error:
        return _back_off(
            payout_id=payout.pk, attempt=payout.send_attempts, message=error.message, now=now
        )
    except gateway.GatewayNotConfigured as error:
        return _not_sent(payout_id=payout.pk, message=error.message, now=now)
    confirm_transfer(transfer=transfer, now=now)
    return SendOutcome(Payout.Status.PAID)


def _back_off(*, payout_id: int, attempt: int, message: str, now: datetime) -> SendOutcome:
    if attempt >= settings.PAYOUT_MAX_SEND_ATTEMPTS:
        # A 5xx may come after the transfer was made (and is then what the key replays):
        # after the last try, only a listing can tell.
        _mark_unknown(payout_id=payout_id, message=message, now=now)
        return SendOutcome(Payout.Status.UNKNOWN)
    delay = _backoff_s(attempt)
    with transaction.atomic():
        updated = Payout.objects.filter(pk=payout_id, status=Payout.Status.SENDING).update(
            status=Payout.Status.PENDING,
            next_attempt_at=now + timedelta(seconds=delay),
            failure_message=message,
            updated_at=now,
        )
    return SendOutcome(Payout.Status.PENDING, retry_in_s=delay if updated else None)


def _not_sent(*, payout_id: int, message: str, now: datetime) -> SendOutcome:
    # Nothing reached Stripe, so the outcome is known: the payout waits, PENDING, for a
    # worker that has the key. It never becomes UNKNOWN (only a listing, which needs the key
    # too, could clear that) and the try does not count against the send limit.
    delay = _backoff_s(settings.PAYOUT_MAX_SEND_ATTEMPTS)
    with transaction.atomic():
        updated = Payout.objects.filter(pk=payout_id, status=Payout.Status.SENDING).update(
            status=Payout.Status.PENDING,
            send_attempts=F("send_attempts") - 1,
            next_attempt_at=now + timedelta(seconds=delay),
            failure_message=message,
            updated_at=now,
        )
    return SendOutcome(Payout.Status.PENDING, retry_in_s=delay if updated else None)


def _mark_unknown(*, payout_id: int, message: str, now: datetime) -> None:
    with transaction.atomic():
        updated = Payout.objects.filter(
            pk=payout_id, status__in=[Payout.Status.SENDING, Payout.Status.PENDING]
        ).update(status=Payout.Status.UNKNOWN, failure_message=message, updated_at=now)
        if updated:
            transaction.on_commit(
                lambda: _dispatch_reconcile(
                    payout_id, countdown=settings.PAYOUT_RECONCILE_DELAY_SECONDS
                )
            )


def confirm_transfer(*, transfer: gateway.Transfer, now: datetime) -> Payout | None:
    """Return the payout a Stripe transfer pays, marked PAID (once), or None if not ours.

    Idempotent: the same transfer again changes nothing. Raises TransferMismatch when the
    transfer's amount, currency or destination differ from the payout, or when the payout
    is already paid by another transfer.
    """
    payout_id = transfer.metadata.get("payout_id", "")
    if not payout_id.isdigit():
        return None
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(pk=int(payout_id)).first()
        if payout is None or payout.transfer_group != transfer.transfer_group:
            return None
        if (transfer.amount_cents, transfer.currency, transfer.destination) != (
            payout.amount_cents,
            payout.currency,
            payout.destination,
        ):
            raise TransferMismatch(
                f"transfer {transfer.id} does not match payout {payout.pk}",
                details={"transfer": transfer.id, "payout": payout.pk},
            )
        if payout.stripe_transfer_id:
            if payout.stripe_transfer_id != transfer.id:
                raise TransferMismatch(
                    f"payout {payout.pk} is paid by {payout.stripe_transfer_id}, not {transfer.id}",
                    details={"transfer": transfer.id, "payout": payout.pk},
                )
            return payout
        if payout.status not in Payout.OPEN_STATUSES:
            raise TransferMismatch(
                f"payout {payout.pk} is {payout.status} but Stripe made transfer {transfer.id}",
                details={"transfer": transfer.id, "payout": payout.pk},
            )
        booking.book_payout_paid(
            payout_id=payout.pk,
            participant=payout.participant,
            currency=payout.currency,
            cents=payout.amount_cents,
            memo=f"transfer {transfer.id}",
            now=now,
        )
        payout.status = Payout.Status.PAID
        payout.stripe_transfer_id = transfer.id
        payout.paid_at = now
        payout.failure_message = ""
        payout.updated_at = now
        payout.save()
        notifications.payout_sent(payout=payout)
        return payout


def fail_payout(*, payout_id: int, code: str, message: str, now: datetime) -> Payout:
    """Return the payout marked FAILED with Stripe's reason; its amount goes back to payable."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status not in (
            Payout.Status.SENDING,
            Payout.Status.PENDING,
            Payout.Status.UNKNOWN,
        ):
            return payout
        booking.book_payout_failed(
            payout_id=payout.pk,
            participant=payout.participant,
            currency=payout.currency,
            cents=payout.amount_cents,
            message=message,
            now=now,
        )
        payout.status = Payout.Status.FAILED
        payout.failure_code = code[:100]
        payout.failure_message = message
        payout.failed_at = now
        payout.updated_at = now
        payout.save()
        notifications.payout_failed(payout=payout)
        return payout


# -- reconciling ---


def reconcile_payout(*, payout_id: int, now: datetime) -> str:
    """Return the payout's status after settling an UNKNOWN (or stale SENDING) outcome.

    Lists the platform's transfers in the payout's group first; sends again only when none
    is there. Gateway errors leave the payout UNKNOWN for the next reconciliation.
    """
    stale_before = now - timedelta(seconds=settings.PAYOUT_SENDING_STALE_SECONDS)
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None:
        raise PayoutNotFound(f"payout {payout_id} does not exist")
    stale_sending = payout.status == Payout.Status.SENDING and (
        payout.sending_since is None or payout.sending_since <= stale_before
    )
    if payout.status != Payout.Status.UNKNOWN and not stale_sending:
        return str(payout.status)
    try:
        transfers = gateway.transfers_in_group(transfer_group=str(payout.transfer_group))
    except gateway.GatewayError as error:
        logger.warning("reconciling payout %s: %s", payout.pk, error.message)
        return str(payout.status)
    ours = [t for t in transfers if t.metadata.get("payout_id") == str(payout.pk)]
    if ours:
        confirmed = confirm_transfer(transfer=ours[0], now=now)
        return str(confirmed.status if confirmed else payout.status)
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status not in (Payout.Status.UNKNOWN, Payout.Status.SENDING):
            return str(payout.status)
        if payout.key_created_at is None or payout.key_created_at <= now - KEY_REUSE_WINDOW:
            payout.key_generation += 1
            payout.idempotency_key = f"v2g-payout-{payout.pk}-g{payout.key_generation}"
            payout.key_created_at = now
        payout.status = Payout.Status.PENDING
        payout.next_attempt_at = None
        payout.updated_at = now
        payout.save()
        _enqueue_send(payout.pk)
    return str(Payout.Status.PENDING)


# -- money coming back ---


def _record_return(
    *,
    participant: Participant,
    payout: Payout | None,
    kind: str,
    stripe_object_id: str,
    cents: int,
    currency: str,
    reason: str,
    now: datetime,
) -> PayoutReturn | None:
    if PayoutReturn.objects.filter(stripe_object_id=stripe_object_id).exists():
        return None
    returned = PayoutReturn.objects.create(
        participant=participant,
        payout=payout,
        kind=kind,
        stripe_object_id=stripe_object_id,
        amount_cents=cents,
        currency=currency,
        reason=reason,
        created_at=now,
    )
    booking.book_transfer_reversed(
        return_id=returned.pk,
        participant=participant,
        currency=currency,
        cents=cents,
        stripe_object_id=stripe_object_id,
        now=now,
    )
    if payout is not None:
        returned_total = payout.returns.aggregate(total=Sum("amount_cents"))["total"] or 0
        if returned_total >= payout.amount_cents:
            payout.status = Payout.Status.RETURNED
            payout.returned_at = now
            payout.failure_message = reason
            payout.updated_at = now
            payout.save()
    notifications.money_returned(payout_return=returned)
    return returned


@transaction.atomic
def record_transfer_reversal(*, transfer: gateway.Transfer, now: datetime) -> PayoutReturn | None:
    """Return the return booked for a reversed transfer (None if nothing new or not ours).

    Stripe's `amount_reversed` is cumulative: what is put back on payable is its increase
    over what was booked for this transfer, and the cumulative amount counts only up to the
    transfer's amount, so a replayed, late or inflated event can never credit more than was
    sent. Idempotent by the cumulative amount (one return per transfer and amount).
    """
    payout = Payout.objects.select_for_update().filter(stripe_transfer_id=transfer.id).first()
    if payout is None:
        return None
    booked = (
        payout.returns.filter(kind=PayoutReturn.Kind.TRANSFER_REVERSED).aggregate(
            total=Sum("amount_cents")
        )["total"]
        or 0
    )
    # Our payout's amount is what was transferred (confirm_transfer checked it); the
    # event's own `amount` is not trusted over it.
    reversed_so_far = min(transfer.amount_reversed_cents, payout.amount_cents)
    newly_reversed = reversed_so_far - booked
    if newly_reversed <= 0:
        return None
    return _record_return(
        participant=payout.participant,
        payout=payout,
        kind=PayoutReturn.Kind.TRANSFER_REVERSED,
        stripe_object_id=f"{transfer.id}:reversed:{reversed_so_far}",
        cents=newly_reversed,
        currency=payout.currency,
        reason="The transfer to your payout account was reversed.",
        now=now,
    )


# -- bank payouts on connected accounts (nothing moves on our side) ---


@transaction.atomic
def record_bank_payout_failure(
    *,
    stripe_account_id: str,
    stripe_payout_id: str,
    cents: int,
    currency: str,
    failure_code: str,
    failure_message: str,
    failed_at: datetime,
    now: datetime,
) -> BankPayoutFailure | None:
    """Return the failure recorded for a connected account's bank payout (None if not ours).

    Books nothing: the money is still in the participant's Stripe balance and Stripe pays it
    out again once the bank details are fixed; crediting it here would pay it twice. The
    owner is emailed once per Stripe payout (a replay under another event id finds the row).
    """
    account = PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if account is None:
        return None
    failure, created = BankPayoutFailure.objects.get_or_create(
        stripe_payout_id=stripe_payout_id,
        defaults={
            "participant": account.participant,
            "stripe_account_id": stripe_account_id,
            "amount_cents": cents,
            "currency": currency.upper(),
            "failure_code": failure_code[:100],
            "failure_message": failure_message,
            "failed_at": failed_at,
            "created_at": now,
        },
    )
    if created:
        notifications.bank_payout_failed(failure=failure)
    return failure


@transaction.atomic
def record_bank_payout_paid(*, stripe_account_id: str, paid_at: datetime, now: datetime) -> int:
    """Return how many earlier bank payout failures of the account a paid payout resolves.

    A payout that reached the bank after a failure shows the bank details work again.
    """
    return BankPayoutFailure.objects.filter(
        stripe_account_id=stripe_account_id, resolved_at__isnull=True, failed_at__lte=paid_at
    ).update(resolved_at=now)
