"""`create_program`: create or update a program by its code (idempotent)."""

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import operations
from settlement.errors import DomainError, error_body


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
                now=timezone.now(),
            )
        except DomainError as exc:
            body = error_body(code=exc.code, message=exc.message, details=exc.details)
            self.stdout.write(json.dumps(body))
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
