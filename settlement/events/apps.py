"""App config for events."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events: dispatch events, the offers they make, owners' answers and measured delivery."""

    name = "settlement.events"
    label = "events"
    verbose_name = "Dispatch events and offers"
