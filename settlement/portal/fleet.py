"""Fleet pages: a per-vehicle breakdown for a period, and the participant's members.

Everyone in the participant sees both; only an owner or manager sees the forms. A viewer's
post gets the 403 page, as every other portal form answers a viewer (`accounts.access`), and
the operations refuse anyone else whatever page they post from (`accounts.members`).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts import access, members, signed_in
from accounts.models import Membership, Participant
from settlement.errors import DomainError
from settlement.payouts import fleet_breakdown


class PeriodForm(forms.Form):
    """Local dates [start, end), this month by default."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class InviteForm(forms.Form):
    """Whom to invite, and as what."""

    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(
        choices=[(Membership.Role.MANAGER, "Manager"), (Membership.Role.VIEWER, "Viewer")],
        initial=Membership.Role.VIEWER,
    )


def _participant(request: HttpRequest, participant_id: int) -> Participant:
    # NotFound becomes the 404 page in config.domain_error_pages.
    return members.access_participant(
        user=signed_in.signed_in_user(request), participant_id=participant_id
    )


def _participant_to_manage(request: HttpRequest, participant_id: int) -> Participant:
    """Return the participant whose members the user may change: 404 for a stranger, 403
    (MayNotAct) for a viewer, checked before the form so a viewer gets the 403 page rather
    than a redirect with a message."""
    participant = _participant(request, participant_id)
    access.require_may_act_for(user=signed_in.signed_in_user(request), participant=participant)
    return participant


@login_required
@require_safe
def fleet(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Show the per-vehicle breakdown for a period and the members."""
    return _page(request, _participant(request, participant_id), InviteForm())


def _page(request: HttpRequest, participant: Participant, invite: InviteForm) -> HttpResponse:
    """The fleet page, its invitation form as given (empty, or as typed with its errors)."""
    zone = participant.sites.values_list("timezone", flat=True).first() or "UTC"
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    period = PeriodForm(request.GET or None)
    first_day, end_day = today.replace(day=1), today + dt.timedelta(days=1)
    if period.is_valid():
        first_day = period.cleaned_data["start"] or first_day
        end_day = period.cleaned_data["end"] or end_day
    context = {
        "participant": participant,
        "period": period,
        "first_day": first_day,
        "last_day": end_day - dt.timedelta(days=1),
        "breakdown": fleet_breakdown.breakdown(
            participant=participant, first_day=first_day, end_day=end_day
        ),
        "members": members.members_of(participant=participant),
        "may_manage": access.may_act_for(
            user=signed_in.signed_in_user(request), participant=participant
        ),
        "invite": invite,
        "roles": [(Membership.Role.MANAGER, "Manager"), (Membership.Role.VIEWER, "Viewer")],
    }
    return render(request, "portal/fleet.html", context)


@login_required
@require_POST
def invite(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Invite a person by email as manager or viewer."""
    participant = _participant_to_manage(request, participant_id)
    form = InviteForm(request.POST)
    if not form.is_valid():
        # The page again with what was typed and each field's error beside it.
        return _page(request, participant, form)
    try:
        members.invite_member(
            participant=participant,
            actor=signed_in.signed_in_user(request),
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            now=timezone.now(),
        )
    except DomainError as error:
        field = str(error.details.get("field", ""))
        if field in form.fields:
            # About what was typed: shown beside the field, the typed value kept.
            form.add_error(field, error.message)
            return _page(request, participant, form)
        messages.error(request, error.message)
        return redirect("portal:fleet", participant_id=participant.pk)
    messages.success(request, f"Invited {form.cleaned_data['email']}.")
    return redirect("portal:fleet", participant_id=participant.pk)


@login_required
@require_POST
def change_role(request: HttpRequest, participant_id: int, membership_id: int) -> HttpResponse:
    """Make a member a manager or a viewer."""
    participant = _participant_to_manage(request, participant_id)
    try:
        members.change_role(
            participant=participant,
            actor=signed_in.signed_in_user(request),
            membership_id=membership_id,
            role=request.POST.get("role", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Role changed.")
    return redirect("portal:fleet", participant_id=participant.pk)


@login_required
@require_POST
def remove(request: HttpRequest, participant_id: int, membership_id: int) -> HttpResponse:
    """Remove a member (never the last owner or manager)."""
    participant = _participant_to_manage(request, participant_id)
    try:
        members.remove_member(
            participant=participant,
            actor=signed_in.signed_in_user(request),
            membership_id=membership_id,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Member removed.")
    return redirect("portal:fleet", participant_id=participant.pk)
