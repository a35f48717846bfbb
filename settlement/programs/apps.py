"""App config for programs."""

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    """Programs: effective-dated, versioned rule sets that say how participants are paid."""

    name = "settlement.programs"
    label = "programs"
    verbose_name = "Program rules"
