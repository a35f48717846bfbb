"""`reproduce_run RUN_ID`: compute a run again from exactly what it recorded and compare.

Prints JSON: `run_id`, `reproduced`, the input and result hashes recorded and recomputed,
and `first_difference` (the first statement and line that differ, or null). Exits 0 when
reproduced, 1 when not (a failed check), 2 when the run cannot be reproduced at all
(unknown, not complete).
"""

from typing import Any

from django.core.management.base import CommandParser

from settlement import commands
from settlement.statements.models import SettlementRun
from settlement.statements.review import access
from settlement.statements.runs import reproduction


class Command(commands.JsonCommand):
    help = "Reproduce a settlement run from its recorded inputs and compare byte for byte."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)

    def run(self, **options: Any) -> object:
        run = SettlementRun.objects.select_related("program").filter(pk=options["run_id"]).first()
        if run is None:
            raise access.RunNotFound(f"no run {options['run_id']}", details={"field": "run_id"})
        verdict = reproduction.reproduce_run(run=run)
        return commands.Checked(summary=verdict.as_dict(), passed=verdict.reproduced)
