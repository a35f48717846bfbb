"""Invariants across statements and the ledger, for `check_ledger` and `reconcile_payouts`.

The one that bounds every payment: per participant and currency, money sent (payouts paid
or on their way, less reversals) never exceeds money released (released statements with a
positive total, less what the participant owed back and a payout netted). The bound is
here; what was sent is counted by `payouts.integrity` (from the ledger) and
`payouts.reconciliation` (from Stripe's transfers).
"""

from collections import defaultdict
from collections.abc import Mapping

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


def released_cents() -> dict[tuple[int, str], int]:
    """Return per (participant id, currency) the cents of released positive statements.

    An approved statement that is not released yet is on the ledger but may not be paid;
    a negative one is owed back and counts only once a payout has netted it (see
    `sent_within_released`), since it is never clawed back.
    """
    released: dict[tuple[int, str], int] = defaultdict(int)
    for participant_id, currency, total in Statement.objects.filter(
        state=Statement.State.RELEASED, total__gt=0
    ).values_list("participant_id", "currency", "total"):
        released[(participant_id, currency)] += to_cents(total)
    return dict(released)


def sent_within_released(
    *, sent: Mapping[tuple[int, str], int], source: str
) -> list[ledger_queries.Violation]:
    """Return a violation for each participant and currency sent more than was released.

    `sent` is money sent less reversals, as `source` (the ledger, the gateway) says.
    """
    released = released_cents()
    netted = {
        key: figures.netted_receivable_cents for key, figures in ledger_queries.money_out().items()
    }
    found = []
    for (participant_id, currency), sent_cents in sorted(sent.items()):
        released_positive = released.get((participant_id, currency), 0)
        bound = released_positive - netted.get((participant_id, currency), 0)
        if sent_cents > bound:
            found.append(
                ledger_queries.Violation(
                    check="sent_within_released",
                    message=(
                        f"participant {participant_id} was sent {sent_cents} {currency} cents "
                        f"({source}, less reversals) but only {bound} were released "
                        f"({released_positive} in released statements, less "
                        f"{netted.get((participant_id, currency), 0)} owed back and netted): "
                        f"{sent_cents - bound} cents too many"
                    ),
                    ref=f"participant:{participant_id}:{currency}",
                )
            )
    return found


def ledger_violations() -> list[ledger_queries.Violation]:
    """Return every broken invariant of the ledger and of approved statements' postings.

    Money sent against money released needs the payouts too: `payouts.integrity` adds it.
    """
    return ledger_queries.violations() + _statement_violations()
