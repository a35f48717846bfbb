"""The yearly tax totals file (US 1099 reporting), formula-safe CSV."""

from decimal import Decimal
from typing import Any

from settlement import safe_csv
from settlement.payouts import queries

HEADER = ("participant_id", "participant", "email", "tax_form", "currency", "total_paid")


def write_tax_totals(stream: Any, *, year: int) -> list[queries.TaxTotal]:
    """Write the year's totals to `stream` as CSV; return them."""
    totals = queries.tax_totals(year=year)
    writer = safe_csv.writer(stream, lineterminator="\n")
    writer.writerow(HEADER)
    for total in totals:
        writer.writerow(
            [
                total.participant_id,
                total.participant,
                total.email,
                total.tax_form,
                total.currency,
                str((Decimal(total.paid_cents) / 100).quantize(Decimal("0.01"))),
            ]
        )
    return totals
