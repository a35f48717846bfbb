"""Export a program's bill-credit payouts for a period, or confirm an exported file."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from accounts.models import Program
from settlement import commands
from settlement.payouts import bill_credits


class ProgramNotFound(commands.ArgumentRefused):
    """`--program` names no program."""

    code = "program_not_found"


class Command(commands.JsonCommand):
    help = "Write the bill-credit file of --program for --period, or --confirm FILE_ID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", help="program code")
        parser.add_argument("--period", help="month YYYY-MM")
        parser.add_argument(
            "--output", help="where to write the CSV (default: ./bill-credits-CODE-PERIOD-ID.csv)"
        )
        parser.add_argument("--confirm", type=int, metavar="FILE_ID", help="mark a file paid")

    def run(self, **options: Any) -> object:
        if options["confirm"] is not None:
            confirmed = bill_credits.confirm_bill_credit_file(
                file_id=options["confirm"], now=timezone.now()
            )
            return {
                "file_id": confirmed.pk,
                "status": confirmed.status,
                "rows": confirmed.rows,
                "total_cents": confirmed.total_cents,
            }
        if not options["program"] or not options["period"]:
            raise commands.ArgumentRefused("give --program and --period, or --confirm FILE_ID")
        program = Program.objects.filter(code=options["program"]).first()
        if program is None:
            raise ProgramNotFound(
                f"unknown program {options['program']!r}", details={"field": "program"}
            )
        export = bill_credits.export_bill_credits(
            program=program, period=options["period"], now=timezone.now()
        )
        path = None
        if export.file is not None:
            path = Path(
                options["output"]
                or f"bill-credits-{program.code}-{export.file.period}-{export.file.pk}.csv"
            )
            path.write_text(export.file.content, encoding="utf-8")
        return {
            "file_id": export.file.pk if export.file else None,
            "rows": export.rows,
            "total_cents": export.total_cents,
            "path": str(path) if path else None,
        }
