"""`event_results --event ID`: one JSON object per participant (response, delivery, amount)."""

from argparse import ArgumentParser
from typing import Any

from settlement import commands
from settlement.events import queries


class Command(commands.JsonCommand):
    help = "Print an event's per-participant results as a JSON list."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--event", required=True, type=int)

    def run(self, **options: Any) -> object:
        event = queries.event_by_id(event_id=options["event"])
        offers = list(queries.offers_of_event(event=event))
        return [row.as_dict() for row in queries.participant_results(offers=offers)]
