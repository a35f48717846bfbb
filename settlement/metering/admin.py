"""Admin registrations for raw metering data editing."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from settlement.metering import aggregators
from settlement.metering.models import (
    Aggregator,
    AggregatorParticipant,
    ProgramMeteringSettings,
    Reading,
    ReadingRevision,
    Upload,
    UploadProblem,
)


class AggregatorParticipantInline(admin.TabularInline[AggregatorParticipant, Aggregator]):
    model = AggregatorParticipant
    extra = 1
    autocomplete_fields = ("participant",)
    verbose_name = "participant it posts readings for"
    verbose_name_plural = "participants it posts readings for"


class AggregatorForm(forms.ModelForm[Aggregator]):
    new_api_user = forms.EmailField(
        required=False,
        label="Add an API user",
        help_text="The address of the aggregator's client; it gets an API token (shown once "
        "after saving) and no password.",
    )

    class Meta:
        model = Aggregator
        fields = ("name",)

    def clean_new_api_user(self) -> str:
        email: str = self.cleaned_data["new_api_user"]
        if email:
            try:
                aggregators.check_api_user(aggregator=self.instance, email=email)
            except aggregators.ApiUserRefused as refused:
                raise ValidationError(refused.message) from None
        return email


@admin.register(Aggregator)
class AggregatorAdmin(admin.ModelAdmin[Aggregator]):
    """The whole aggregator flow: its participants, and API users created with a token."""

    form = AggregatorForm
    list_display = ("name",)
    readonly_fields = ("api_users",)
    fields = ("name", "api_users", "new_api_user")
    inlines = (AggregatorParticipantInline,)

    @admin.display(description="API users")
    def api_users(self, aggregator: Aggregator) -> str:
        if aggregator.pk is None:
            return "-"
        return ", ".join(aggregator.users.order_by("email").values_list("email", flat=True)) or "-"

    def save_model(self, request: HttpRequest, obj: Aggregator, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        email = form.cleaned_data.get("new_api_user")
        if email:
            added = aggregators.add_api_user(aggregator=obj, email=email, now=timezone.now())
            self.message_user(
                request,
                f"API user {added.user.email} of {obj.name}: token {added.token} "
                "(send it to the aggregator's client; it authenticates with "
                "'Authorization: Token <token>').",
                messages.SUCCESS,
            )


@admin.register(ProgramMeteringSettings)
class ProgramMeteringSettingsAdmin(admin.ModelAdmin[ProgramMeteringSettings]):
    """Shown here; changed on the staff settings page or the API, which audit each change."""

    list_display = ("program", "interpolate_gaps_up_to_minutes", "site_max_kw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReceivedRecordAdmin(admin.ModelAdmin):
    """Records of what was received: viewable, never added, changed or deleted here,
    superusers included (a correction is a new upload, which keeps a revision)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Upload)
class UploadAdmin(ReceivedRecordAdmin):
    list_display = (
        "pk",
        "original_name",
        "format",
        "status",
        "accepted",
        "revised",
        "rejected",
        "sent_by",
        "received_at",
    )
    list_filter = ("status", "format")
    list_select_related = ("sent_by",)


@admin.register(UploadProblem)
class UploadProblemAdmin(ReceivedRecordAdmin):
    list_display = ("upload", "seq", "kind", "location", "field", "reason")
    list_filter = ("kind",)
    list_select_related = ("upload",)


@admin.register(Reading)
class ReadingAdmin(ReceivedRecordAdmin):
    list_display = ("channel", "start", "duration_s", "wh", "quality", "revision", "upload_id")
    list_select_related = ("channel",)
    search_fields = ("channel__meter_id",)
    # The table is large: no count of all rows, no joins beyond the channel.
    show_full_result_count = False


@admin.register(ReadingRevision)
class ReadingRevisionAdmin(ReceivedRecordAdmin):
    list_display = ("reading", "revision", "wh", "quality", "upload", "superseded_by")
    list_select_related = ("reading",)
