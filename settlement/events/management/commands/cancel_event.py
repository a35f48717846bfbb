"""`cancel_event --event ID`: close every offer of an event; nothing will be paid."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from settlement import commands
from settlement.events import operations, queries


class Command(commands.JsonCommand):
    help = "Cancel an event before it starts; prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--event", required=True, type=int)

    def run(self, **options: Any) -> object:
        event = queries.event_by_id(event_id=options["event"])
        event = operations.cancel_event(event=event, now=timezone.now())
        return {
            "event_id": event.pk,
            "modification": event.modification,
            "status": "cancelled",
            "offers": event.offers.count(),
        }
