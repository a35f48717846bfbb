"""App config for notices."""

from django.apps import AppConfig


class NoticesConfig(AppConfig):
    """Notices: what each person is told (email and the portal's list) and what they turned off."""

    name = "settlement.notices"
    label = "notices"
    verbose_name = "Notifications"
