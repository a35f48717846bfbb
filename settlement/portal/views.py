"""The owner's dashboard: what I earned, what is pending, my next payout, offers and data."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts import queries, signed_in
from settlement.payouts import dashboard
from settlement.portal import charts


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Show one dashboard per participant the signed-in user acts for."""
    user = signed_in.signed_in_user(request)
    now = timezone.now()
    boards = dashboard.dashboards_of(user=user, now=now)
    if not boards and queries.is_staff_user(user=user):
        return redirect("staff:home")
    sections = [
        {
            "board": board,
            "silent": sum(1 for channel in board.freshness if channel.silent),
            "chart": charts.chart(
                days=board.chart, currency=board.currency, today=timezone.localdate()
            ),
        }
        for board in boards
    ]
    return render(request, "portal/home.html", {"sections": sections, "now": now})
