"""`import_rules --program CODE FILE.json`: load a program's rule set (idempotent)."""

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from settlement.errors import DomainError
from settlement.programs import operations


def _error(code: str, message: str, details: dict[str, object]) -> str:
    return json.dumps({"error": {"code": code, "message": message, "details": details}})


class Command(BaseCommand):
    help = "Load a program's rule set from a JSON file (docs/events.md); prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--program", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.stdout.write(_error("file_unreadable", f"file: {reason}", {"field": "file"}))
            sys.exit(2)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.stdout.write(
                _error("rule_file_invalid", f"file: not JSON ({exc})", {"field": "file"})
            )
            sys.exit(2)
        try:
            result = operations.import_rules(
                program_code=options["program"], document=document, source_name=path.name
            )
        except DomainError as exc:
            self.stdout.write(_error(exc.code, exc.message, exc.details))
            sys.exit(2)
        self.stdout.write(json.dumps(result.as_dict()))
