"""Admin registrations for raw metering data editing."""

from django.contrib import admin

from settlement.metering.models import (
    Aggregator,
    AggregatorParticipant,
    ProgramMeteringSettings,
    Upload,
)


class AggregatorParticipantInline(admin.TabularInline[AggregatorParticipant, Aggregator]):
    model = AggregatorParticipant
    extra = 0


@admin.register(Aggregator)
class AggregatorAdmin(admin.ModelAdmin[Aggregator]):
    list_display = ("name",)
    filter_horizontal = ("users",)
    inlines = (AggregatorParticipantInline,)


@admin.register(ProgramMeteringSettings)
class ProgramMeteringSettingsAdmin(admin.ModelAdmin[ProgramMeteringSettings]):
    list_display = ("program", "interpolate_gaps_up_to_minutes")


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = (
        "pk",
        "original_name",
        "format",
        "status",
        "accepted",
        "rejected",
        "received_at",
    )
    list_filter = ("status", "format")
    readonly_fields = ("sha256", "size_bytes", "channels", "notes")
