"""Write each participant's payouts in a year, per tax form (US 1099); print JSON."""

import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from settlement.payouts import tax_report


class Command(BaseCommand):
    help = "Yearly totals paid per participant and tax form, by payout date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", help="CSV path (default: ./tax-totals-YEAR.csv)")

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"]
        buffer = io.StringIO()
        totals = tax_report.write_tax_totals(buffer, year=year)
        path = Path(options["output"] or f"tax-totals-{year}.csv")
        path.write_text(buffer.getvalue(), encoding="utf-8")
        print(
            json.dumps(
                {
                    "year": year,
                    "participants": len({t.participant_id for t in totals}),
                    "rows": len(totals),
                    "total_cents": sum(t.paid_cents for t in totals),
                    "path": str(path),
                }
            )
        )
