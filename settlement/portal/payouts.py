"""Owner pages for payouts: connect a payout account, see its state and every payout."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts import access, signed_in
from accounts import queries as account_queries
from accounts.models import Participant
from settlement.payouts import gateway, onboarding, queries


def _participant(request: HttpRequest, participant_id: int) -> Participant:
    """Return a participant the user is a member of (any role); 404 for anyone else's."""
    user = signed_in.signed_in_user(request)
    participant = account_queries.participants_of(user=user).filter(pk=participant_id).first()
    if participant is None:
        raise Http404("No such participant.")
    return participant


def _participant_to_act_for(request: HttpRequest, participant_id: int) -> Participant:
    """Return the participant whose payout account the user may change; 403 for a viewer."""
    participant = _participant(request, participant_id)
    access.require_may_act_for(user=signed_in.signed_in_user(request), participant=participant)
    return participant


@login_required
@require_safe
def payouts(request: HttpRequest) -> HttpResponse:
    """Show the owner's payout accounts (state, what is missing) and payout history."""
    user = signed_in.signed_in_user(request)
    accounts = [
        {
            "participant": participant,
            "account": account,
            "missing": queries.plain_requirements(account.requirements_due) if account else [],
            "bank_failures": [
                {
                    "failure": failure,
                    "amount": queries.format_cents(failure.amount_cents, failure.currency),
                }
                for failure in queries.open_bank_payout_failures(participant=participant)
            ],
        }
        for participant in queries.participants_for_payouts(user=user).order_by("name")
        for account in [queries.payout_account_of(participant=participant)]
    ]
    visible = list(
        queries.payouts_visible_to(user=user)
        .filter(participant__memberships__user=user)
        .order_by("-created_at", "-pk")
    )
    # One query for every payout's statements: the history grows for as long as one is paid.
    paid = queries.statements_paid_by_each(payout_ids=[payout.pk for payout in visible])
    history = [
        {
            "payout": payout,
            "amount": queries.format_cents(payout.amount_cents, payout.currency),
            "next_step": queries.next_step(payout=payout),
            "statements": paid[payout.pk],
        }
        for payout in visible
    ]
    context = {
        "accounts": accounts,
        "history": history,
        "stripe_configured": gateway.is_configured(),
        "bank_failure_next_step": queries.BANK_FAILURE_NEXT_STEP,
    }
    return render(request, "portal/payouts.html", context)


def _onboarding_redirect(request: HttpRequest, participant: Participant) -> HttpResponse:
    try:
        url = onboarding.start_onboarding(
            participant=participant,
            refresh_url=request.build_absolute_uri(
                reverse("portal:payout-onboarding-refresh", args=[participant.pk])
            ),
            return_url=request.build_absolute_uri(
                reverse("portal:payout-onboarding-return", args=[participant.pk])
            ),
            now=timezone.now(),
        )
    except gateway.GatewayError as error:
        messages.error(request, f"The payout account could not be set up now: {error.message}")
        return redirect("portal:payouts")
    return redirect(url)


@login_required
@require_POST
def connect(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Create the payout account if needed and send the owner to Stripe's onboarding."""
    return _onboarding_redirect(request, _participant_to_act_for(request, participant_id))


@login_required
@require_safe
def onboarding_refresh(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Stripe sends the owner here when an onboarding link expired: issue a new one."""
    return _onboarding_redirect(request, _participant_to_act_for(request, participant_id))


@login_required
@require_safe
def onboarding_return(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Stripe sends the owner back here: fetch the account's state and show it."""
    participant = _participant_to_act_for(request, participant_id)
    try:
        account = onboarding.refresh_account(participant=participant, now=timezone.now())
    except gateway.GatewayError as error:
        messages.error(request, f"Could not check the payout account: {error.message}")
        return redirect("portal:payouts")
    if account is not None and account.payouts_enabled:
        messages.success(request, "Your payout account is ready to receive payouts.")
    else:
        messages.info(request, "Your payout account still needs some details (see below).")
    return redirect("portal:payouts")


@login_required
@require_safe
def account_state(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Show one participant's payout account state to its members (404 for anyone else's)."""
    user = signed_in.signed_in_user(request)
    participant = _participant(request, participant_id)
    account = queries.payout_account_of(participant=participant)
    context = {
        "participant": participant,
        "account": account,
        "missing": queries.plain_requirements(account.requirements_due) if account else [],
        "stripe_configured": gateway.is_configured(),
        # A viewer reads the account's state but is offered no button to change it.
        "may_act": access.may_act_for(user=user, participant=participant),
    }
    return render(request, "portal/payout_account.html", context)
