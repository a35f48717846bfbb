"""Owner portal pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import queries, signed_in


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in owner their participants, sites and enrollments."""
    user = signed_in.signed_in_user(request)
    if queries.is_staff_user(user=user) and not queries.participants_of(user=user).exists():
        return redirect("staff:home")
    context = {
        "participants": queries.participants_of(user=user).order_by("name"),
        "sites": queries.sites_of(user=user)
        .prefetch_related("channels")
        .order_by("account_number"),
        "enrollments": queries.enrollments_of(user=user).order_by(
            "program__code", "site__account_number"
        ),
    }
    return render(request, "portal/home.html", context)
