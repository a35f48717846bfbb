"""Tell participants when money they were sent did not arrive, by email after commit."""

from django.core.mail import send_mail
from django.db import transaction

from settlement.payouts import queries
from settlement.payouts.models import BankPayoutFailure, Payout, PayoutReturn


def _recipients(participant_id: int) -> list[str]:
    return queries.participant_emails(participant_id=participant_id)


def _send_after_commit(*, participant_id: int, subject: str, body: str) -> None:
    recipients = _recipients(participant_id)
    if recipients:
        transaction.on_commit(
            lambda: send_mail(subject, body, None, recipients, fail_silently=False)
        )


def payout_failed(*, payout: Payout) -> None:
    """Email the participant that a payout failed and that the amount is owed again."""
    amount = queries.format_cents(payout.amount_cents, payout.currency)
    _send_after_commit(
        participant_id=payout.participant_id,
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
        subject=f"Your bank could not receive a payout of {amount}",
        body=(
            f"Stripe tried to pay {amount} from your Stripe balance to your bank, and the bank "
            f"returned it: {reason}\n\n"
            f"{queries.BANK_FAILURE_NEXT_STEP}\n"
        ),
    )
