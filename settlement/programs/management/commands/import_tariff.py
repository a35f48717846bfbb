"""`import_tariff FILE --format ... --code CODE`: store a tariff file as a plan version.

It lives in the programs app because `--program` also makes the plan the program's
EXPORT_TARIFF rule, and programs is the layer that knows both tariffs and rules.
"""

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.utils import timezone

from settlement import commands, errors
from settlement.programs import operations
from settlement.rating import holiday_calendars
from settlement.tariffs import sources


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


class Command(commands.JsonCommand):
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
        # The plan's calendar code; typed in either case ("sce" is "SCE").
        parser.add_argument("--holidays", type=str.upper, choices=holiday_calendars.CALENDAR_NAMES)

    def run(self, **options: Any) -> object:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise commands.FileUnreadable(
                f"file: {reason}", details={"field": "file", "reason": reason}
            ) from None
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
        except errors.DomainError as exc:
            # Parsers that list several rows give no single field: the file as a whole.
            exc.details = {"field": "file", "reason": exc.message, **exc.details}
            raise
        return result.as_dict()
