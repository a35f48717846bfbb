"""App config for events."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events: dispatch events, the offers they make, owners' answers and measured delivery."""

    name = "settlement.events"
    label = "events"
    verbose_name = "Dispatch events and offers"

    def ready(self) -> None:
        """Measure deliveries as soon as ingestion writes the readings they need."""
        # Imported here: the tasks module reads models, which exist only once apps are ready.
        from settlement.events import tasks  # noqa: PLC0415
        from settlement.metering import readings_written  # noqa: PLC0415

        readings_written.follow(tasks.readings_written)
