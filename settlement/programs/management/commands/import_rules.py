"""`import_rules --program CODE FILE.json`: load a program's rule set (idempotent)."""

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from settlement import commands, errors
from settlement.programs import operations


class RuleFileNotJson(errors.DomainError):
    """The rule file is not JSON text; the same code as a rule file that breaks the format."""

    code = "rule_file_invalid"


class Command(commands.JsonCommand):
    help = "Load a program's rule set from a JSON file (docs/events.md); prints a JSON summary."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--program", required=True)

    def run(self, **options: Any) -> object:
        path: Path = options["file"]
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise commands.FileUnreadable(f"file: {reason}", details={"field": "file"}) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RuleFileNotJson(f"file: not JSON ({exc})", details={"field": "file"}) from None
        result = operations.import_rules(
            program_code=options["program"], document=document, source_name=path.name
        )
        return result.as_dict()
