"""App config for tariffs."""

from django.apps import AppConfig


class TariffsConfig(AppConfig):
    """Tariffs: plans, their effective-dated versions, and which plan each program pays by."""

    name = "settlement.tariffs"
    label = "tariffs"
    verbose_name = "Tariffs"
