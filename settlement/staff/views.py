"""Staff pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Enrollment, Participant, Program
from settlement.staff import access


@access.staff_required
def home(request: HttpRequest) -> HttpResponse:
    """Show staff the programs and how many participants each has enrolled."""
    context = {
        "programs": Program.objects.order_by("code"),
        "participant_count": Participant.objects.count(),
        "enrollment_count": Enrollment.objects.count(),
    }
    return render(request, "staff/home.html", context)
