"""App config for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Accounts: who is paid, where they meter, and what they are enrolled in."""

    name = "accounts"
    verbose_name = "Participants and enrollment"
