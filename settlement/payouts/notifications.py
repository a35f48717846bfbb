"""Tell participants about their payouts (sent, failed, returned) after commit.

Every email goes through `notices.notify`, which honours each person's preferences and lists
what was sent in their portal.
"""

from datetime import datetime

from settlement.notices import operations as notices
from settlement.notices.models import NotificationKind
from settlement.payouts import queries
from settlement.payouts.models import BankPayoutFailure, Payout, PayoutMethod, PayoutReturn

PAYOUTS_PAGE = "/payouts/"


def _send_after_commit(
    *,
    participant_id: int,
    kind: NotificationKind,
    key: str,
    subject: str,
    body: str,
    now: datetime,
) -> None:
    notices.notify_after_commit(
        participant_id=participant_id,
        message=notices.Message(kind=kind, key=key, subject=subject, body=body, link=PAYOUTS_PAGE),
        now=now,
    )


def payout_sent(*, payout: Payout) -> None:
    """Email the participant that a payout was sent, with the amount and when."""
    amount = queries.format_cents(payout.amount_cents, payout.currency)
    _send_after_commit(
        participant_id=payout.participant_id,
        kind=NotificationKind.PAYOUT_SENT,
        key=f"payout:{payout.pk}:sent",
        subject=f"Your payout of {amount} was sent",
        body=(
            f"We sent you {amount} (payout {payout.pk}). Your bank usually shows it within "
            "a few business days.\n"
            if payout.method != PayoutMethod.BILL_CREDIT
            else f"{amount} (payout {payout.pk}) was credited to your utility bill; it shows "
            "on your next bill.\n"
        ),
        now=payout.paid_at or payout.updated_at,
    )


def payout_failed(*, payout: Payout) -> None:
    """Email the participant that a payout failed and that the amount is owed again."""
    amount = queries.format_cents(payout.amount_cents, payout.currency)
    _send_after_commit(
        participant_id=payout.participant_id,
        kind=NotificationKind.PAYOUT_FAILED,
        key=f"payout:{payout.pk}:failed",
        now=payout.failed_at or payout.updated_at,
        subject=f"Your payout of {amount} did not go through",
        body=(
            f"Your payout of {amount} could not be sent: {payout.failure_message}\n\n"
            f"{queries.next_step(payout=payout)}\n"
        ),
    )


def money_returned(*, payout_return: PayoutReturn) -> None:
    """Email the participant that a transfer was reversed and the amount is owed again."""
    amount = queries.format_cents(payout_return.amount_cents, payout_return.currency)
    _send_after_commit(
        participant_id=payout_return.participant_id,
        kind=NotificationKind.PAYOUT_FAILED,
        key=f"payout-return:{payout_return.pk}",
        now=payout_return.created_at,
        subject=f"{amount} of your payout came back",
        body=(
            f"{amount} of a payout to you came back: {payout_return.reason}\n\n"
            "The amount is on your balance again and will be paid with your next payout. "
            "Please check your payout account details in the portal.\n"
        ),
    )


def bank_payout_failed(*, failure: BankPayoutFailure) -> None:
    """Email the participant that their bank returned a payout, and what to do about it."""
    amount = queries.format_cents(failure.amount_cents, failure.currency)
    reason = failure.failure_message or failure.failure_code or "no reason given"
    _send_after_commit(
        participant_id=failure.participant_id,
        kind=NotificationKind.PAYOUT_FAILED,
        key=f"bank-payout-failure:{failure.pk}",
        now=failure.created_at,
        subject=f"Your bank could not receive a payout of {amount}",
        body=(
            f"Stripe tried to pay {amount} from your Stripe balance to your bank, and the bank "
            f"returned it: {reason}\n\n"
            f"{queries.BANK_FAILURE_NEXT_STEP}\n"
        ),
    )
