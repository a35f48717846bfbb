"""`create_program`: create or update a program by its code (idempotent)."""

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from accounts import operations


class Command(BaseCommand):
    help = "Create a program, or update its fields; prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--utility", required=True)
        parser.add_argument("--timezone", required=True)
        parser.add_argument("--currency", default="USD")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            program, outcome = operations.create_program(
                code=options["code"],
                name=options["name"],
                utility=options["utility"],
                timezone=options["timezone"],
                currency=options["currency"],
            )
        except operations.InvalidProgram as exc:
            self.stdout.write(json.dumps({"error": exc.message, **exc.details}))
            sys.exit(2)
        self.stdout.write(
            json.dumps(
                {
                    "code": program.code,
                    "outcome": outcome.value,
                    "name": program.name,
                    "utility": program.utility,
                    "timezone": program.timezone,
                    "currency": program.currency,
                }
            )
        )
