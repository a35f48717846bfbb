"""`import_enrollments FILE.csv`: onboard participants, sites and channels from a utility file."""

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import operations
from accounts.enrollment_file import EnrollmentFileRejected, read_enrollment_file


class Command(BaseCommand):
    help = "Import enrollments from a CSV file (one row per channel); prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open("rb") as stream:
                summary = operations.import_enrollments(
                    rows=read_enrollment_file(stream), now=timezone.now()
                )
        except (EnrollmentFileRejected, OSError) as exc:
            reason = exc.reason if isinstance(exc, EnrollmentFileRejected) else str(exc)
            result = {
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "rejected": 0,
                "errors": [{"line": None, "field": "file", "reason": reason}],
            }
            self.stdout.write(json.dumps(result))
            sys.exit(2)
        self.stdout.write(json.dumps(summary.as_dict()))
