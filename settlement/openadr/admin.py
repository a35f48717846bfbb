"""Admin registrations: program administrators manage OpenADR clients and see VTN records."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from settlement.openadr import credentials
from settlement.openadr.models import (
    EventOrigin,
    EventRead,
    OpenADRClient,
    ProgramSettings,
    Report,
    Subscription,
    Ven,
)


@admin.register(OpenADRClient)
class OpenADRClientAdmin(admin.ModelAdmin[OpenADRClient]):
    """Clients: made here with a fresh secret (shown once); scopes and activity editable."""

    list_display = ("name", "role", "client_id", "aggregator", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("name", "client_id")
    readonly_fields = ("client_id", "secret_hash", "created_at")

    def get_fields(self, request: HttpRequest, obj: OpenADRClient | None = None) -> Any:
        """Return the fields: a new client names its role and aggregator only."""
        if obj is None:
            return ("name", "role", "aggregator")
        return ("name", "role", "client_id", "aggregator", "scopes", "is_active", "created_at")

    def save_model(self, request: HttpRequest, obj: OpenADRClient, form: Any, change: bool) -> None:
        """Create through `credentials.create_client` (hashed secret, default scopes)."""
        if change:
            super().save_model(request, obj, form, change)
            return
        made = credentials.create_client(
            name=obj.name, role=obj.role, aggregator=obj.aggregator, now=timezone.now()
        )
        obj.pk = made.client.pk
        obj.client_id = made.client.client_id
        self.message_user(
            request,
            f"client_id {made.client.client_id}, client_secret {made.client_secret} "
            "(shown once: copy it now)",
            messages.WARNING,
        )


@admin.register(Ven)
class VenAdmin(admin.ModelAdmin[Ven]):
    list_display = ("ven_name", "client", "created_at", "modified_at")


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(admin.ModelAdmin[ProgramSettings]):
    list_display = ("program", "event_kind", "response_minutes_before_start")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = ("pk", "client_name", "client", "program", "created_at")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    list_display = ("pk", "event", "client", "upload", "created_at")


@admin.register(EventOrigin)
class EventOriginAdmin(admin.ModelAdmin[EventOrigin]):
    list_display = ("event", "client", "event_name", "created_at")


@admin.register(EventRead)
class EventReadAdmin(admin.ModelAdmin[EventRead]):
    list_display = ("event", "ven", "modification", "read_at")
