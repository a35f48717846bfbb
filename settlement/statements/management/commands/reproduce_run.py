"""`reproduce_run RUN_ID`: compute a run again from exactly what it recorded and compare.

Prints JSON: `run_id`, `reproduced`, the input and result hashes recorded and recomputed,
and `first_difference` (the first statement and line that differ, or null). Exits 0 when
reproduced, 1 when not, 2 when the run cannot be reproduced at all (unknown, not complete).
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from settlement.errors import DomainError
from settlement.statements.models import SettlementRun
from settlement.statements.runs import reproduction


class Command(BaseCommand):
    help = "Reproduce a settlement run from its recorded inputs and compare byte for byte."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        run = SettlementRun.objects.select_related("program").filter(pk=options["run_id"]).first()
        if run is None:
            error = {
                "code": "run_not_found",
                "message": f"no run {options['run_id']}",
                "details": {"field": "run_id"},
            }
            self.stdout.write(json.dumps({"error": error}))
            sys.exit(2)
        try:
            verdict = reproduction.reproduce_run(run=run)
        except DomainError as exc:
            error = {"code": exc.code, "message": exc.message, "details": exc.details}
            self.stdout.write(json.dumps({"error": error}))
            sys.exit(2)
        self.stdout.write(json.dumps(verdict.as_dict(), default=str))
        if not verdict.reproduced:
            sys.exit(1)
