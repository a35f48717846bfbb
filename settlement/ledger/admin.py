"""Read-only admin views of the ledger: corrections are new entries, never edits."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from settlement.ledger.models import JournalEntry, LedgerAccount, Posting


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shows rows; refuses adding, changing and deleting them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("kind", "currency", "program", "participant", "balance_cents")
    list_filter = ("kind", "currency")


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "currency", "source_type", "source_id", "posted_at")
    list_filter = ("kind",)


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("pk", "entry", "account", "amount_cents")
