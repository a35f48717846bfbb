"""App config for the API."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "settlement.api"
    label = "settlement_api"
