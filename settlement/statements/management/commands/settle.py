"""`settle --program CODE --period YYYY-MM [--type ...] [--as EMAIL]`: run a settlement in
this process and print its JSON summary; exits 1 when the run FAILED."""

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from accounts import queries as account_queries
from settlement import commands
from settlement.statements import periods
from settlement.statements.review import queries as statement_queries
from settlement.statements.runs import operations


class Command(commands.JsonCommand):
    help = "Settle a program for a period; prints the run's JSON summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", required=True)
        parser.add_argument("--period", required=True, help="YYYY-MM, local to the program")
        parser.add_argument(
            "--type", default="initial", choices=["initial", "recalculation", "final"]
        )
        parser.add_argument(
            "--as",
            dest="as_email",
            help="the staff member starting the run (the maker; must hold the reviewer role)",
        )

    def run(self, **options: Any) -> object:
        program = statement_queries.program_by_code(code=options["program"])
        maker = (
            account_queries.active_staff_by_email(email=options["as_email"])
            if options["as_email"]
            else None
        )
        period = periods.month(options["period"], time_zone=program.timezone)
        run = operations.settle_in_process(
            program=program,
            period=period,
            run_type=options["type"].upper(),
            started_by=maker,
            now=timezone.now(),
        )
        # A run that FAILED failed the run's own checks of its inputs: the summary says
        # which, and the exit status lets a script stop.
        return commands.Checked(
            summary=statement_queries.run_summary(run=run),
            passed=run.status != run.Status.FAILED,
        )
