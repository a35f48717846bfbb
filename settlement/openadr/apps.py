"""The OpenADR VTN app (an interface: it translates to events, programs and metering)."""

from django.apps import AppConfig


class OpenADRConfig(AppConfig):
    """OpenADR 3.1.0 VTN."""

    name = "settlement.openadr"
    label = "openadr"
    verbose_name = "OpenADR 3.1.0 VTN"
