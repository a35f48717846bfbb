"""`measure_event --event ID`: measure (or re-measure) one event's deliveries now."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from settlement import commands
from settlement.events import operations, queries


class Command(commands.JsonCommand):
    help = (
        "Measure every offer's delivery of a completed event from the current readings, "
        "however old the event; prints the event id and counts per outcome."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--event", required=True, type=int)

    def run(self, **options: Any) -> object:
        event = queries.event_by_id(event_id=options["event"])
        counts = operations.measure_event(event=event, now=timezone.now())
        return {"event_id": event.pk, **counts}
