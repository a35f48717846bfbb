"""Owner pages: my notifications (read or not), which kinds I am told about, and the
calendar entry of an accepted offer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from accounts import signed_in
from settlement.errors import DomainError
from settlement.events import calendar
from settlement.notices import operations, queries
from settlement.notices.models import NotificationKind
from settlement.portal import offers

# The newest notifications the page lists; older ones stay readable in the API.
PAGE_SIZE = 100


@login_required
@require_safe
def notifications(request: HttpRequest) -> HttpResponse:
    """List my notifications, newest first, with the unread ones marked, and my preferences."""
    user = signed_in.signed_in_user(request)
    preferences = queries.preferences_of(user=user)
    context = {
        "notifications": list(queries.notifications_of(user=user)[:PAGE_SIZE]),
        "unread": queries.unread_count(user=user),
        "preferences": [
            {"kind": kind, "label": NotificationKind(kind).label, "enabled": enabled}
            for kind, enabled in preferences.items()
        ],
    }
    return render(request, "portal/notifications.html", context)


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of my notifications read and go to the page it is about."""
    user = signed_in.signed_in_user(request)
    try:
        found = queries.access_notification(user=user, notification_id=notification_id)
    except queries.NotificationNotFound:
        raise Http404("no such notification") from None
    operations.mark_read(user=user, notification_ids=[found.pk], now=timezone.now())
    if not url_has_allowed_host_and_scheme(found.link, allowed_hosts=None):
        return redirect("portal:notifications")
    return redirect(found.link)


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notification of mine read."""
    count = operations.mark_read(
        user=signed_in.signed_in_user(request), notification_ids=None, now=timezone.now()
    )
    messages.success(request, f"Marked {count} notification{'' if count == 1 else 's'} read.")
    return redirect("portal:notifications")


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """Turn each kind on (its box ticked) or off (not ticked)."""
    ticked = set(request.POST.getlist("kind"))
    try:
        operations.set_preferences(
            user=signed_in.signed_in_user(request),
            changes={kind: kind in ticked for kind in NotificationKind.values},
            now=timezone.now(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Saved: you will be told about the kinds ticked.")
    return redirect("portal:notifications")


@login_required
@require_safe
def offer_calendar(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Download an accepted offer's event as an .ics calendar entry (404 for others')."""
    offer = offers.offer_or_404(request, offer_id)
    try:
        calendar.require_calendar(offer)
    except calendar.NotAccepted as exc:
        messages.error(request, exc.message)
        return redirect("portal:offers")
    response = HttpResponse(
        calendar.entry(offer=offer, stamp=timezone.now()),
        content_type=f"{calendar.MEDIA_TYPE}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{calendar.filename(offer)}"'
    return response
