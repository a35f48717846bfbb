"""App config for demo data."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "settlement.demo"
    label = "demo"
