"""Django admin for tariff plans, their versions (definitions read-only) and program tariffs."""

import json
from typing import ClassVar

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.admin_stamps import StampedAdmin
from settlement.tariffs.models import TariffPlan, TariffVersion


class TariffVersionInline(admin.TabularInline[TariffVersion, TariffPlan]):
    model = TariffVersion
    extra = 0
    show_change_link = True
    fields = ("version", "kind", "effective_from", "effective_to", "source_format", "locked_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: TariffPlan | None = None) -> bool:
        # Versions come from files through `import_tariff`, with their sha256.
        return False


@admin.register(TariffPlan)
class TariffPlanAdmin(StampedAdmin):
    list_display = ("code", "name", "utility", "timezone", "holiday_calendar", "currency")
    search_fields = ("code", "name", "utility")
    inlines: ClassVar = [TariffVersionInline]

    def get_readonly_fields(
        self, request: HttpRequest, obj: TariffPlan | None = None
    ) -> tuple[str, ...]:
        # The zone and calendar decide every price of every version once one exists.
        if obj is not None and obj.versions.exists():
            return ("code", "timezone", "holiday_calendar", "currency")
        return ()


@admin.register(TariffVersion)
class TariffVersionAdmin(admin.ModelAdmin[TariffVersion]):
    """Versions are read-only: prices change by importing a new version."""

    list_display = (
        "plan",
        "version",
        "kind",
        "effective_from",
        "effective_to",
        "source_format",
        "locked_at",
    )
    list_filter = ("kind", "source_format", "plan")
    list_select_related = ("plan",)
    search_fields = ("plan__code", "source_sha256", "source_name")
    fields = (
        "plan",
        "version",
        "kind",
        "effective_from",
        "effective_to",
        "source_format",
        "source_name",
        "source_sha256",
        "warnings",
        "created_at",
        "locked_at",
        "locked_through",
        "definition_pretty",
    )
    readonly_fields = fields

    @admin.display(description="definition")
    def definition_pretty(self, obj: TariffVersion) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.definition, indent=1)[:200_000])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TariffVersion | None = None) -> bool:
        return False
