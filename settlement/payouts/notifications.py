"""Tell participants when money they were sent did not arrive, by email after commit."""

from django.core.mail import send_mail
from django.db import transaction

from settlement.payouts import queries
from settlement.payouts.models import Payout, PayoutReturn


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
    """Email the participant that money came back and is owed to them again."""
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
