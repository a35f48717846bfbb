"""Export a program's bill-credit payouts for a period, or confirm an exported file."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Program
from settlement.errors import DomainError
from settlement.payouts import bill_credits


class Command(BaseCommand):
    help = "Write the bill-credit file of --program for --period, or --confirm FILE_ID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", help="program code")
        parser.add_argument("--period", help="month YYYY-MM")
        parser.add_argument(
            "--output", help="where to write the CSV (default: ./bill-credits-CODE-PERIOD-ID.csv)"
        )
        parser.add_argument("--confirm", type=int, metavar="FILE_ID", help="mark a file paid")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["confirm"] is not None:
                confirmed = bill_credits.confirm_bill_credit_file(
                    file_id=options["confirm"], now=timezone.now()
                )
                print(
                    json.dumps(
                        {
                            "file_id": confirmed.pk,
                            "status": confirmed.status,
                            "rows": confirmed.rows,
                            "total_cents": confirmed.total_cents,
                        }
                    )
                )
                return
            if not options["program"] or not options["period"]:
                raise CommandError("give --program and --period, or --confirm FILE_ID")
            program = Program.objects.filter(code=options["program"]).first()
            if program is None:
                raise CommandError(f"unknown program {options['program']!r}")
            export = bill_credits.export_bill_credits(
                program=program, period=options["period"], now=timezone.now()
            )
        except DomainError as error:
            raise CommandError(
                json.dumps({"error": {"code": error.code, "message": error.message}})
            ) from error
        path = None
        if export.file is not None:
            path = Path(
                options["output"]
                or f"bill-credits-{program.code}-{export.file.period}-{export.file.pk}.csv"
            )
            path.write_text(export.file.content, encoding="utf-8")
        print(
            json.dumps(
                {
                    "file_id": export.file.pk if export.file else None,
                    "rows": export.rows,
                    "total_cents": export.total_cents,
                    "path": str(path) if path else None,
                }
            )
        )
