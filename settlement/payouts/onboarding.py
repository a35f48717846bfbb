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
            stripe_account_id=payout_account.stripe_account_id, account=account, now=now
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
    Raises gateway errors.
    """
    payout_account = PayoutAccount.objects.filter(participant=participant).first()
    if payout_account is None:
        return None
    return sync_account(stripe_account_id=payout_account.stripe_account_id, now=now)


@transaction.atomic
def sync_account(*, stripe_account_id: str, now: datetime) -> PayoutAccount | None:
    """Return the payout account set to what Stripe says about it now (None if not ours).

    Every `account.updated` lands here instead of applying the snapshot it carries: events
    arrive in any order and their `created` has one-second resolution, so no event can say
    whether it is newer than the state stored. The account's row is locked before Stripe is
    asked, so of two concurrent reads the later one is also the one written last, and the
    stored state is always Stripe's latest. Raises gateway errors.
    """
    locked = (
        PayoutAccount.objects.select_for_update()
        .filter(stripe_account_id=stripe_account_id)
        .first()
    )
    if locked is None:
        return None
    account = gateway.retrieve_account(account_id=stripe_account_id)
    return apply_account_state(stripe_account_id=stripe_account_id, account=account, now=now)


@transaction.atomic
def apply_account_state(
    *, stripe_account_id: str, account: gateway.ConnectedAccount, now: datetime
) -> PayoutAccount | None:
    """Return the payout account updated with a state Stripe has just answered, or None.

    Only a fresh answer from Stripe (a creation or a read) is applied, never the snapshot
    in an event, so the state written last is the latest.
    """
    payout_account = (
        PayoutAccount.objects.select_for_update()
        .filter(stripe_account_id=stripe_account_id)
        .first()
    )
    if payout_account is None:
        return None
    payout_account.payouts_enabled = account.payouts_enabled
    payout_account.details_submitted = account.details_submitted
    payout_account.requirements_due = list(account.requirements_due)
    payout_account.disabled_reason = account.disabled_reason
    payout_account.state_as_of = now
    payout_account.updated_at = now
    payout_account.save()
    return payout_account
