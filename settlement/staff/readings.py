"""Staff page: one reading's current value and its earlier revisions, with their uploads."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import signed_in
from accounts.models import Channel
from settlement.errors import NotFound
from settlement.form_errors import add_domain_error
from settlement.metering import reading_history
from settlement.staff import access


class ReadingForm(forms.Form):
    meter = forms.CharField(max_length=64)
    kind = forms.ChoiceField(choices=Channel.Kind.choices)
    start = forms.DateTimeField(help_text="The interval's start, ISO-8601 with its offset.")


@access.staff_required
def reading(request: HttpRequest) -> HttpResponse:
    """Show the form and, once filled in, the reading's history."""
    form = ReadingForm(request.GET or None)
    found = None
    if form.is_valid():
        user = signed_in.signed_in_user(request)
        try:
            found = reading_history.history(
                reading=reading_history.access_reading(
                    user=user,
                    meter_id=form.cleaned_data["meter"],
                    kind=form.cleaned_data["kind"],
                    start=form.cleaned_data["start"],
                )
            )
        except NotFound as exc:
            add_domain_error(form, exc)
    return render(request, "staff/metering_reading.html", {"form": form, "history": found})
