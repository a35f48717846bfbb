"""`manage.py ingest PATH`: ingest a meter data file and print its JSON summary."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from settlement.errors import DomainError, error_body
from settlement.metering import operations, queries
from settlement.metering.models import Upload

EXIT_REJECTED = 2
# The upload FAILED (an error, reported) or the request was refused; nothing was stored.
EXIT_FAILED = 1


class Command(BaseCommand):
    help = (
        "Ingest a meter data file (Green Button XML, PG&E or SCE CSV, canonical CSV, OCPP "
        "JSON). Prints a JSON summary; exits 2 when the file as a whole is rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--format", default="auto", choices=[f for f in operations.FORMATS if f != "batch-json"]
        )
        parser.add_argument(
            "--meter",
            default=None,
            help="meter id for files that do not name the meter (Green Button, utility CSV, OCPP)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            stream = path.open("rb")
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        with stream:
            try:
                result = operations.ingest(
                    stream=stream,
                    filename=path.name,
                    now=timezone.now(),
                    format=options["format"],
                    meter_id=options["meter"],
                )
            except DomainError as error:
                body = error_body(code=error.code, message=error.message, details=error.details)
                self.stdout.write(json.dumps(body, indent=2))
                raise SystemExit(EXIT_FAILED) from error
        summary = queries.summary(upload=result.upload, duplicate_upload=result.duplicate_upload)
        self.stdout.write(json.dumps(summary, indent=2))
        if result.upload.status == Upload.Status.REJECTED:
            raise SystemExit(EXIT_REJECTED)
