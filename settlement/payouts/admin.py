"""Admin: tax-form overrides are edited here; settings, payouts and events are read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from settlement.payouts.models import (
    BankPayoutFailure,
    BillCreditFile,
    ParticipantTaxForm,
    Payout,
    PayoutAccount,
    ProgramPayoutSettings,
    WebhookEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Rows money depends on change only through the operations, never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ProgramPayoutSettings)
class ProgramPayoutSettingsAdmin(ReadOnlyAdmin):
    """Shown here; changed on the staff settings page or the API, which audit each change."""

    list_display = ("program", "method", "minimum_cents", "tax_form", "organization_tax_form")


@admin.register(ParticipantTaxForm)
class ParticipantTaxFormAdmin(admin.ModelAdmin[ParticipantTaxForm]):
    list_display = ("participant", "tax_form")
    list_select_related = ("participant",)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("pk", "participant", "program", "method", "amount_cents", "currency", "status")
    list_filter = ("status", "method")


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ("participant", "stripe_account_id", "payouts_enabled", "updated_at")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "status", "deliveries", "received_at")
    list_filter = ("status", "type")


@admin.register(BillCreditFile)
class BillCreditFileAdmin(ReadOnlyAdmin):
    list_display = ("pk", "program", "period", "status", "rows", "total_cents")


@admin.register(BankPayoutFailure)
class BankPayoutFailureAdmin(ReadOnlyAdmin):
    list_display = ("stripe_payout_id", "participant", "amount_cents", "currency", "failed_at")
    list_filter = ("resolved_at",)
