"""`event_results --event ID`: one JSON object per participant (response, delivery, amount)."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from settlement.errors import DomainError
from settlement.events import queries
from settlement.events.management.commands import _event_command as common


class Command(BaseCommand):
    help = "Print an event's per-participant results as a JSON list."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--event", required=True, type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            event = queries.event_by_id(event_id=options["event"])
        except DomainError as exc:
            common.fail(self.stdout, exc)
        offers = list(queries.offers_of_event(event=event))
        self.stdout.write(
            json.dumps([row.as_dict() for row in queries.participant_results(offers=offers)])
        )
