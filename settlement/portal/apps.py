"""App config for the owner portal."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "settlement.portal"
    label = "portal"
