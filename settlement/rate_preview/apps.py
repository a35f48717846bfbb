"""App config for the rate preview (an app so that its `rate_preview` command is found)."""

from django.apps import AppConfig


class RatePreviewConfig(AppConfig):
    """Rate preview: a channel's readings priced with a tariff, before any settlement."""

    name = "settlement.rate_preview"
    label = "rate_preview"
    verbose_name = "Rate preview"
