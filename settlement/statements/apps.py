"""App config for statements."""

from django.apps import AppConfig


class StatementsConfig(AppConfig):
    """Statements: readings priced with tariff versions, reviewed and approved."""

    name = "settlement.statements"
    label = "statements"
    verbose_name = "Statements"
