"""`settle --program CODE --period YYYY-MM [--type initial|recalculation|final]`: run a
settlement in this process and print its JSON summary."""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from settlement.errors import DomainError
from settlement.statements import periods
from settlement.statements.review import queries as statement_queries
from settlement.statements.runs import operations


class Command(BaseCommand):
    help = "Settle a program for a period; prints the run's JSON summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", required=True)
        parser.add_argument("--period", required=True, help="YYYY-MM, local to the program")
        parser.add_argument(
            "--type", default="initial", choices=["initial", "recalculation", "final"]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            program = statement_queries.program_by_code(code=options["program"])
            period = periods.month(options["period"], time_zone=program.timezone)
            run = operations.settle_in_process(
                program=program,
                period=period,
                run_type=options["type"].upper(),
                started_by=None,
                now=timezone.now(),
            )
        except DomainError as exc:
            error = {"code": exc.code, "message": exc.message, "details": exc.details}
            self.stdout.write(json.dumps({"error": error}))
            sys.exit(2)
        self.stdout.write(json.dumps(statement_queries.run_summary(run=run)))
        if run.status == run.Status.FAILED:
            sys.exit(1)
