"""`import_enrollments FILE.csv`: onboard participants, sites and channels from a utility file."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.utils import timezone

from accounts import enrollment_file, operations
from settlement import commands


class Command(commands.JsonCommand):
    help = "Import enrollments from a CSV file (one row per channel); prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)

    def run(self, **options: Any) -> object:
        path: Path = options["file"]
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise commands.FileUnreadable(str(exc), details={"field": "file"}) from None
        with stream:
            summary = operations.import_enrollments(
                rows=enrollment_file.read_enrollment_file(stream), now=timezone.now()
            )
        return summary.as_dict()
