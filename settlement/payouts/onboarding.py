"""Writes for payout accounts: create the connected account, onboarding links, Stripe's state.

Kept apart from `operations` (payouts) because onboarding needs no ledger and no payout row.
"""

from datetime import datetime

from django.db import transaction

from accounts.models import Participant
from settlement.payouts import gateway
from settlement.payouts.models import PayoutAccount

# Stripe needs the country of the account holder; this service pays US programs today.
DEFAULT_COUNTRY = "US"


@transaction.atomic
def _store_account(
    *, participant: Participant, account: gateway.ConnectedAccount, now: datetime
) -> PayoutAccount:
    payout_account, _ = PayoutAccount.objects.get_or_create(
        participant=participant,
        defaults={"stripe_account_id": account.id, "created_at": now, "updated_at": now},
    )
    return (
        apply_account_state(
            stripe_account_id=payout_account.stripe_account_id,
            account=account,
            now=now,
            as_of=now,
        )
        or payout_account
    )


def start_onboarding(
    *, participant: Participant, refresh_url: str, return_url: str, now: datetime
) -> str:
    """Return the Stripe-hosted onboarding URL for the participant's connected account.

    Creates the connected account on first use. The creation carries an idempotency key
    derived from the participant, so a crash between Stripe and our commit cannot leave two
    accounts (within Stripe's 24 h key window). Raises gateway errors.
    """
    existing = PayoutAccount.objects.filter(participant=participant).first()
    if existing is None:
        account = gateway.create_connected_account(
            email=participant.email,
            country=DEFAULT_COUNTRY,
            participant_ref=str(participant.pk),
        )
        existing = _store_account(participant=participant, account=account, now=now)
    return gateway.create_onboarding_link(
        account_id=existing.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def refresh_account(*, participant: Participant, now: datetime) -> PayoutAccount | None:
    """Return the participant's payout account after asking Stripe for its current state.

    Used when the owner comes back from onboarding, before the webhook may have arrived.
    """
    payout_account = PayoutAccount.objects.filter(participant=participant).first()
    if payout_account is None:
        return None
    account = gateway.retrieve_account(account_id=payout_account.stripe_account_id)
    return (
        apply_account_state(
            stripe_account_id=payout_account.stripe_account_id,
            account=account,
            now=now,
            as_of=now,
        )
        or payout_account
    )


@transaction.atomic
def apply_account_state(
    *,
    stripe_account_id: str,
    account: gateway.ConnectedAccount,
    now: datetime,
    as_of: datetime,
) -> PayoutAccount | None:
    """Return the payout account updated with a snapshot from Stripe, or None if unknown.

    `as_of` is when Stripe took the snapshot (an event's `created`, or the time we asked).
    A snapshot older than the one applied last is ignored: webhooks arrive in any order.
    """
    payout_account = (
        PayoutAccount.objects.select_for_update()
        .filter(stripe_account_id=stripe_account_id)
        .first()
    )
    if payout_account is None:
        return None
    if payout_account.state_as_of is not None and as_of < payout_account.state_as_of:
        return payout_account
    payout_account.payouts_enabled = account.payouts_enabled
    payout_account.details_submitted = account.details_submitted
    payout_account.requirements_due = list(account.requirements_due)
    payout_account.disabled_reason = account.disabled_reason
    payout_account.state_as_of = as_of
    payout_account.updated_at = now
    payout_account.save()
    return payout_account
