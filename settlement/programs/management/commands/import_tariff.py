"""`import_tariff FILE --format ... --code CODE`: store a tariff file as a plan version.

It lives in the programs app because `--program` also makes the plan the program's
EXPORT_TARIFF rule, and programs is the layer that knows both tariffs and rules.
"""

import datetime as dt
import json
import sys
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from settlement.errors import DomainError, error_body
from settlement.programs import operations
from settlement.tariffs import sources


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _error(code: str, message: str, details: dict[str, object]) -> str:
    return json.dumps(error_body(code=code, message=message, details=details))


class Command(BaseCommand):
    help = "Import a tariff file as a new version of a plan (idempotent); prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", required=True, choices=[fmt.value for fmt in sources.SourceFormat]
        )
        parser.add_argument("--code", required=True)
        parser.add_argument("--timezone")
        parser.add_argument("--effective-from", type=_date)
        parser.add_argument("--program")
        parser.add_argument("--holidays", choices=["pge", "sce", "none"])

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.stdout.write(
                _error("file_unreadable", f"file: {reason}", {"field": "file", "reason": reason})
            )
            sys.exit(2)
        try:
            result = operations.import_program_tariff(
                data=data,
                source_format=sources.SourceFormat(options["format"]),
                code=options["code"],
                source_name=path.name,
                timezone=options["timezone"],
                effective_from=options["effective_from"],
                program_code=options["program"],
                holidays=options["holidays"],
                now=timezone.now(),
            )
        except DomainError as exc:
            # Parsers that list several rows give no single field: the file as a whole.
            details = {"field": "file", "reason": exc.message, **exc.details}
            self.stdout.write(_error(exc.code, exc.message, details))
            sys.exit(2)
        self.stdout.write(json.dumps(result.as_dict()))
