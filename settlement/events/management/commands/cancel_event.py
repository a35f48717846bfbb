"""`cancel_event --event ID`: close every offer of an event; nothing will be paid."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from settlement.errors import DomainError
from settlement.events import operations, queries
from settlement.events.management.commands import _event_command as common


class Command(BaseCommand):
    help = "Cancel an event before it starts; prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--event", required=True, type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            event = queries.event_by_id(event_id=options["event"])
            event = operations.cancel_event(event=event, now=timezone.now())
        except DomainError as exc:
            common.fail(self.stdout, exc)
        self.stdout.write(
            json.dumps(
                {
                    "event_id": event.pk,
                    "modification": event.modification,
                    "status": "cancelled",
                    "offers": event.offers.count(),
                }
            )
        )
