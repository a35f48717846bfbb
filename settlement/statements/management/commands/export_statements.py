"""`export_statements --run RUN_ID --format csv|json`: write a run's lines to stdout."""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from settlement.errors import DomainError
from settlement.statements.models import SettlementRun
from settlement.statements.review import exports


class Command(BaseCommand):
    help = "Write one row per statement line of a run, as CSV or JSON, to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--run", required=True, type=int)
        parser.add_argument("--format", default="csv", choices=exports.FORMATS)

    def handle(self, *args: Any, **options: Any) -> None:
        run = SettlementRun.objects.filter(pk=options["run"]).first()
        if run is None:
            error = {"code": "run_not_found", "message": f"no run {options['run']}", "details": {}}
            self.stdout.write(json.dumps({"error": error}))
            sys.exit(2)
        try:
            body, _ = exports.render(run=run, export_format=options["format"])
        except DomainError as exc:
            error = {"code": exc.code, "message": exc.message, "details": exc.details}
            self.stdout.write(json.dumps({"error": error}))
            sys.exit(2)
        self.stdout.write(body, ending="")
