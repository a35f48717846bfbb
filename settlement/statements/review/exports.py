"""The export of a run's statement lines for the utility's billing system (CSV or JSON).

One row per line: participant_email, statement_id, line_kind, label, kwh, price, amount.
CSV goes through the formula-safe writer (`settlement.safe_csv`): a label or email that
begins like a formula is neutralised, numbers stay numbers. Voided statements are left out.
"""

import io
import json

from settlement import safe_csv
from settlement.errors import DomainError
from settlement.statements.models import SettlementRun, Statement, StatementLine

COLUMNS = ("participant_email", "statement_id", "line_kind", "label", "kwh", "price", "amount")
FORMATS = ("csv", "json")


class ExportFormatInvalid(DomainError):
    """The export format is not csv or json."""

    code = "export_format_invalid"


def rows(*, run: SettlementRun) -> list[dict[str, str | int]]:
    """Return the export rows of the run's statements, by statement then line number."""
    lines = (
        StatementLine.objects.filter(statement__run=run)
        .exclude(statement__state=Statement.State.VOIDED)
        .order_by("statement_id", "number")
        .values_list(
            "statement__participant__email",
            "statement_id",
            "kind",
            "label",
            "kwh",
            "price",
            "amount",
        )
    )
    return [
        {
            "participant_email": email,
            "statement_id": statement_id,
            "line_kind": kind,
            "label": label,
            "kwh": str(kwh),
            "price": "" if price is None else str(price),
            "amount": str(amount),
        }
        for email, statement_id, kind, label, kwh, price, amount in lines
    ]


def render(*, run: SettlementRun, export_format: str) -> tuple[str, str]:
    """Return (body, content type) of the run's export; raises ExportFormatInvalid."""
    if export_format not in FORMATS:
        # The query parameter is `file` on the page and the API (`format` is DRF's own).
        reason = f"must be csv or json, not {export_format[:20]!r}"
        raise ExportFormatInvalid(f"file: {reason}", details={"file": [reason]})
    found = rows(run=run)
    if export_format == "json":
        return json.dumps({"run": run.pk, "rows": found}, indent=1), "application/json"
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([row[column] for column in COLUMNS] for row in found)
    return buffer.getvalue(), "text/csv; charset=utf-8"
