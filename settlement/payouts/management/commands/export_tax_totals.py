"""Write each participant's payouts in a year, per tax form (US 1099); print JSON."""

import io
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from settlement import commands
from settlement.payouts import tax_report


class Command(commands.JsonCommand):
    help = "Yearly totals paid per participant and tax form, by payout date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", help="CSV path (default: ./tax-totals-YEAR.csv)")

    def run(self, **options: Any) -> object:
        year = options["year"]
        buffer = io.StringIO()
        totals = tax_report.write_tax_totals(buffer, year=year)
        path = Path(options["output"] or f"tax-totals-{year}.csv")
        path.write_text(buffer.getvalue(), encoding="utf-8")
        return {
            "year": year,
            "participants": len({t.participant_id for t in totals}),
            "rows": len(totals),
            "total_cents": sum(t.paid_cents for t in totals),
            "path": str(path),
        }
