"""App config for payouts."""

from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    """Payouts: connected accounts, payouts sent exactly once, webhooks, exports."""

    name = "settlement.payouts"
    label = "payouts"
    verbose_name = "Payouts"
