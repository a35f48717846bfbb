"""`create_program`: create or update a program by its code (idempotent)."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from accounts import operations
from settlement import commands


class Command(commands.JsonCommand):
    help = "Create a program, or update its fields; prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--utility", required=True)
        parser.add_argument("--timezone", required=True)
        parser.add_argument("--currency", default="USD")

    def run(self, **options: Any) -> object:
        program, outcome = operations.create_program(
            code=options["code"],
            name=options["name"],
            utility=options["utility"],
            timezone=options["timezone"],
            currency=options["currency"],
            now=timezone.now(),
        )
        return {
            "code": program.code,
            "outcome": outcome.value,
            "name": program.name,
            "utility": program.utility,
            "timezone": program.timezone,
            "currency": program.currency,
        }
