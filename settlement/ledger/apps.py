"""App config for the ledger."""

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """Ledger: accounts, balanced journal entries and their postings, append-only."""

    name = "settlement.ledger"
    label = "ledger"
    verbose_name = "Ledger"
