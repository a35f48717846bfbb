"""App config for metering."""

from django.apps import AppConfig


class MeteringConfig(AppConfig):
    """Metering: uploads of meter data, validation, readings and their revisions."""

    name = "settlement.metering"
    label = "metering"
    verbose_name = "Meter data"
