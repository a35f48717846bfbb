"""The yearly tax totals file (US 1099 reporting), formula-safe CSV."""

from decimal import Decimal
from typing import Any, Final

from settlement import safe_csv
from settlement.errors import DomainError
from settlement.payouts import queries

# Payouts began long after 1970; the year after the last must still be a date (9999 is not).
FIRST_YEAR: Final = 1970
LAST_YEAR: Final = 9998

HEADER = ("participant_id", "participant", "email", "tax_form", "currency", "total_paid")


class TaxYearInvalid(DomainError):
    """The year asked for is not a year payouts can have been made in."""

    code = "invalid"

    def __init__(self, given: object) -> None:
        reason = f"{given!r} is not a year from {FIRST_YEAR} to {LAST_YEAR}"
        super().__init__(f"year: {reason}", details={"year": [reason]})


def year_from_text(*, text: str, default: int) -> int:
    """Return the year a person typed (`default` when blank); raise TaxYearInvalid."""
    text = text.strip()
    if not text:
        return default
    # ASCII digits only: int() also reads "٢٠٢٥" and " 2_025".
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise TaxYearInvalid(text)
    return int(text)


def write_tax_totals(stream: Any, *, year: int) -> list[queries.TaxTotal]:
    """Write the year's totals to `stream` as CSV; return them. Raises TaxYearInvalid."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise TaxYearInvalid(year)
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
