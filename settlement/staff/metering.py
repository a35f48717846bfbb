"""Staff pages for meter data: upload a file, watch its progress, read its report."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts import signed_in
from settlement.metering import operations, queries, reading_history
from settlement.staff import access


class UploadForm(forms.Form):
    # An empty file is taken too: it is kept and rejected with a report, not lost.
    file = forms.FileField(allow_empty_file=True)
    format = forms.ChoiceField(
        choices=[(f, f) for f in operations.FORMATS if f != "batch-json"],
        initial="auto",
        required=False,
    )
    meter_id = forms.CharField(required=False, max_length=64)


@access.staff_required
def uploads(request: HttpRequest) -> HttpResponse:
    """List recent uploads and take a new one."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        user = signed_in.signed_in_user(request)
        result = operations.receive_file(
            sender=user,
            stream=file,
            filename=file.name or "upload",
            size=file.size,
            now=timezone.now(),
            format=form.cleaned_data["format"] or "auto",
            meter_id=form.cleaned_data["meter_id"] or None,
        )
        return redirect("staff:metering-upload", upload_id=result.upload.pk)
    context = {"form": form, "uploads": queries.uploads_for_staff()[:50]}
    return render(request, "staff/metering_uploads.html", context)


@access.staff_required
def upload_detail(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Show one upload's summary, progress and first problems."""
    user = signed_in.signed_in_user(request)
    upload = queries.access_upload(user=user, upload_id=upload_id)
    context = {
        "upload": upload,
        "summary": queries.summary(upload=upload),
        "channels": queries.channels_with_zones(upload=upload),
        "revised": reading_history.revised_by(upload=upload)[:50],
    }
    return render(request, "staff/metering_upload.html", context)
