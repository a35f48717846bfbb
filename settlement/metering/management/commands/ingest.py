"""`manage.py ingest PATH`: ingest a meter data file and print its JSON summary."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from settlement import commands, errors
from settlement.metering import operations, queries
from settlement.metering.models import Upload


class UploadRejected(errors.DomainError):
    """The file as a whole was rejected; it is kept with its report, and no reading stored."""

    code = "upload_rejected"


class Command(commands.JsonCommand):
    help = (
        "Ingest a meter data file (Green Button XML, PG&E or SCE CSV, canonical CSV, OCPP "
        "JSON). Prints a JSON summary; exits 2 when the file as a whole is rejected."
    )
    indent = 2

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

    def run(self, **options: Any) -> object:
        path: Path = options["path"]
        try:
            stream = path.open("rb")
        except OSError as error:
            raise commands.FileUnreadable(
                f"cannot read {path}: {error.strerror}", details={"field": "path"}
            ) from None
        with stream:
            result = operations.ingest(
                stream=stream,
                filename=path.name,
                now=timezone.now(),
                format=options["format"],
                meter_id=options["meter"],
            )
        summary = queries.summary(upload=result.upload, duplicate_upload=result.duplicate_upload)
        if result.upload.status == Upload.Status.REJECTED:
            # The summary (upload id, rejection, report) is what a person needs to look the
            # kept file up, so it travels as the error's details.
            raise UploadRejected(result.upload.rejection_reason, details=summary)
        return summary
