"""`export_statements --run RUN_ID --format csv|json`: write a run's lines to stdout.

The export itself is the output (no summary around it); a refused run is the error body.
"""

from typing import Any

from django.core.management.base import CommandParser

from settlement import commands
from settlement.statements.models import SettlementRun
from settlement.statements.review import access, exports


class Command(commands.JsonCommand):
    help = "Write one row per statement line of a run, as CSV or JSON, to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", required=True, type=int)
        parser.add_argument("--format", default="csv", choices=exports.FORMATS)

    def run(self, **options: Any) -> object:
        run = SettlementRun.objects.filter(pk=options["run"]).first()
        if run is None:
            raise access.RunNotFound(f"no run {options['run']}")
        body, _ = exports.render(run=run, export_format=options["format"])
        return commands.Document(body)
