"""`create_event --program CODE --start ISO --end ISO --kind K --price P --deadline ISO`."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from settlement import commands
from settlement.events import operations, queries
from settlement.events.management.commands import _event_command as common
from settlement.programs import queries as program_queries


class Command(commands.JsonCommand):
    help = "Dispatch an event: offers go to every eligible enrollment; prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--program", required=True)
        parser.add_argument("--start", required=True, type=common.instant)
        parser.add_argument("--end", required=True, type=common.instant)
        parser.add_argument("--kind", required=True, choices=common.KINDS)
        parser.add_argument("--price", required=True, type=common.decimal)
        parser.add_argument("--deadline", required=True, type=common.instant)
        parser.add_argument("--target-kw", type=common.decimal)

    def run(self, **options: Any) -> object:
        program = program_queries.program_by_code(code=options["program"])
        zone = program.timezone
        event = operations.create_event(
            program=program,
            terms=operations.EventTerms(
                starts_at=queries.localize(options["start"], time_zone=zone),
                ends_at=queries.localize(options["end"], time_zone=zone),
                response_deadline=queries.localize(options["deadline"], time_zone=zone),
                kind=options["kind"].upper(),
                price_per_kwh=options["price"],
                target_kw=options["target_kw"],
            ),
            created_by=None,
            now=timezone.now(),
        )
        return {
            "event_id": event.pk,
            "modification": event.modification,
            "offers": event.offers.count(),
        }
