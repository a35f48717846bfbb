"""Staff page: preview how a tariff prices a meter's readings over local dates."""

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import queries as account_queries
from accounts.models import Channel
from settlement.errors import DomainError
from settlement.form_errors import add_domain_error
from settlement.rate_preview import preview
from settlement.staff import access
from settlement.tariffs import queries as tariff_queries


class RatePreviewForm(forms.Form):
    tariff = forms.ChoiceField(label="Tariff plan")
    meter = forms.CharField(
        max_length=64,
        widget=forms.TextInput(attrs={"list": "meters", "autocomplete": "off"}),
        help_text="Type to pick one of the enrolled meters.",
    )
    start = forms.DateField(help_text="First local date (YYYY-MM-DD), in the tariff's zone.")
    end = forms.DateField(help_text="Local date after the last one (exclusive).")
    channel_kind = forms.ChoiceField(
        choices=[("", "the meter's export channel"), *Channel.Kind.choices], required=False
    )

    def __init__(self, *args: Any, plans: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tariff"].choices = plans  # type: ignore[attr-defined]


@access.staff_required
def rate_preview(request: HttpRequest) -> HttpResponse:
    """Show the form and, once filled in, the priced lines and total."""
    listed = list(tariff_queries.plans())
    plans = [(plan.code, f"{plan.code} · {plan.name}") for plan in listed]
    form = RatePreviewForm(request.GET or None, plans=plans)
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
            add_domain_error(form, exc)
    # Amounts are written in the currency of the plan that priced them.
    currency = next((plan.currency for plan in listed if result and plan.code == result.tariff), "")
    context = {
        "form": form,
        "result": result,
        "currency": currency,
        "meters": account_queries.meter_ids(),
    }
    return render(request, "staff/rate_preview.html", context)
