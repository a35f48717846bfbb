"""Owner page "My energy": daily and monthly kWh per channel, and uploading a meter file."""

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import access, signed_in
from accounts import queries as account_queries
from accounts.models import User
from settlement.errors import DomainError
from settlement.metering import energy as energy_queries
from settlement.metering import operations, queries


class UploadForm(forms.Form):
    """A Green Button file or a utility CSV for one of the owner's sites."""

    file = forms.FileField(
        label="Meter file (Green Button XML or your utility's CSV)", allow_empty_file=True
    )
    site = forms.TypedChoiceField(label="For the site", coerce=int)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Only the sites the user may act for: a viewer is offered no upload at all.
        acting = account_queries.sites_of(user=user).filter(
            participant__in=access.participants_acted_for(user=user)
        )
        self.fields["site"].choices = [  # type: ignore[attr-defined]
            (site.pk, f"Account {site.account_number}")
            for site in acting.distinct().order_by("account_number")
        ]


@login_required
@require_http_methods(["GET", "POST"])
def energy(request: HttpRequest) -> HttpResponse:
    """Show the owner's energy per site and channel; take an upload and show its result."""
    user = signed_in.signed_in_user(request)
    site_id = request.POST.get("site", "")
    if request.method == "POST" and site_id.isdigit():
        # The role first, as every portal form checks it: a stranger's site is the 404 page
        # and a viewer's the 403 page (MayNotAct), not a form error.
        queries.access_site_for_upload(user=user, site_id=int(site_id))
    form = UploadForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            result = operations.receive_file(
                sender=user,
                stream=file,
                filename=file.name or "upload",
                size=file.size,
                now=timezone.now(),
                site_id=form.cleaned_data["site"],
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            return redirect(f"{request.path}?upload={result.upload.pk}")
    upload = None
    upload_id = request.GET.get("upload", "")
    if upload_id.isdigit():
        try:
            upload = queries.access_upload(user=user, upload_id=int(upload_id))
        except DomainError:
            messages.error(request, "That upload is not one of yours.")
    sites = account_queries.sites_of(user=user).values_list("timezone", flat=True).first()
    today = timezone.now().astimezone(ZoneInfo(sites or "UTC")).date()
    context = {
        "sites": energy_queries.energy_of(user=user, today=today),
        "form": form,
        "upload": upload,
        "may_upload": bool(form.fields["site"].choices),  # type: ignore[attr-defined]
    }
    return render(request, "portal/energy.html", context)
