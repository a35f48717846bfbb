"""The staff page of OpenADR clients: program administrators list them and make new ones.

It lives in the OpenADR app (the staff app is its sibling layer and may not import it) and
guards itself the way the staff pages do: signed out goes to sign-in, anyone who is not a
program administrator gets the 404 page. A new client's secret is shown once, in the answer
to the form that made it, and never stored in clear.
"""

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import signed_in
from settlement.events import queries as event_queries
from settlement.metering.models import Aggregator
from settlement.openadr import credentials
from settlement.openadr.models import OpenADRClient


class ClientForm(forms.Form):
    """A new client: its name, role and, for a VEN, the aggregator it acts for."""

    name = forms.CharField(max_length=128)
    role = forms.ChoiceField(choices=OpenADRClient.Role.choices)
    aggregator = forms.ModelChoiceField(
        queryset=Aggregator.objects.order_by("name"),
        required=False,
        help_text="A VEN acts for this aggregator's participants.",
    )


def clients(request: HttpRequest) -> HttpResponse:
    """List the OpenADR clients with their scopes; make one (its secret shown once)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not event_queries.is_program_administrator(user=signed_in.signed_in_user(request)):
        raise Http404("No such page.")
    form = ClientForm(request.POST or None)
    made: credentials.NewClient | None = None
    if request.method == "POST" and form.is_valid():
        try:
            made = credentials.create_client(
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                aggregator=form.cleaned_data["aggregator"],
                now=timezone.now(),
            )
        except credentials.ClientRefused as refused:
            field = str(refused.details.get("field", ""))
            form.add_error(field if field in form.fields else None, refused.message)
        else:
            form = ClientForm()
    context = {
        "clients": OpenADRClient.objects.select_related("aggregator").order_by("name"),
        "form": form,
        "made": made,
    }
    answer = render(request, "openadr/clients.html", context)
    # The page may hold a secret shown once: no cache may keep a copy.
    answer["Cache-Control"] = "no-store"
    return answer
