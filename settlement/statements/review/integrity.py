"""Invariants across statements and the ledger, for `check_ledger`."""

from django.db.models import Sum

from settlement.ledger import queries as ledger_queries
from settlement.ledger.models import Posting
from settlement.rating.money import to_cents
from settlement.statements.models import Statement

_SETTLED = (Statement.State.APPROVED, Statement.State.RELEASED)


def _statement_violations() -> list[ledger_queries.Violation]:
    posted = {
        source_id: int(total)
        for source_id, total in Posting.objects.filter(
            entry__source_type="statement",
            entry__kind="STATEMENT_APPROVAL",
            account__kind="PROGRAM_EXPENSE",
        )
        .values_list("entry__source_id")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    }
    found = []
    settled_ids = set()
    for statement_id, total, state in (
        Statement.objects.filter(state__in=_SETTLED)
        .order_by("pk")
        .values_list("pk", "total", "state")
    ):
        settled_ids.add(str(statement_id))
        cents = to_cents(total)
        booked = posted.get(str(statement_id), 0)
        if booked != cents:
            found.append(
                ledger_queries.Violation(
                    check="statement_total_equals_postings",
                    message=(
                        f"{state.lower()} statement {statement_id} totals {cents} cents "
                        f"but its approval posted {booked}"
                    ),
                    ref=f"statement:{statement_id}",
                )
            )
    found.extend(
        ledger_queries.Violation(
            check="statement_total_equals_postings",
            message=f"statement {source_id} is not approved but its approval posted {cents}",
            ref=f"statement:{source_id}",
        )
        for source_id, cents in sorted(posted.items())
        if source_id not in settled_ids
    )
    return found


def ledger_violations() -> list[ledger_queries.Violation]:
    """Return every broken invariant of the ledger and of approved statements' postings."""
    return ledger_queries.violations() + _statement_violations()
