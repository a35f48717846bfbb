"""Staff page: preview how a tariff prices a meter's readings over local dates."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Channel
from settlement.errors import DomainError
from settlement.staff import access
from settlement.statements import preview


class RatePreviewForm(forms.Form):
    tariff = forms.CharField(max_length=40)
    meter = forms.CharField(max_length=64)
    start = forms.DateField(help_text="First local date (YYYY-MM-DD), in the tariff's zone.")
    end = forms.DateField(help_text="Local date after the last one (exclusive).")
    channel_kind = forms.ChoiceField(
        choices=[("", "the meter's export channel"), *Channel.Kind.choices], required=False
    )


@access.staff_required
def rate_preview(request: HttpRequest) -> HttpResponse:
    """Show the form and, once filled in, the priced lines and total."""
    form = RatePreviewForm(request.GET or None)
    result = None
    if form.is_valid():
        try:
            result = preview.preview_rating(
                tariff_code=form.cleaned_data["tariff"],
                meter_id=form.cleaned_data["meter"],
                channel_kind=form.cleaned_data["channel_kind"] or None,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    return render(request, "staff/rate_preview.html", {"form": form, "result": result})
