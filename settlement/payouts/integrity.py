"""Money sent against money released, from the ledger: the invariant `check_ledger` adds.

It lives with the payouts, the one layer that sees statements (what was released), the
ledger (what moved) and the payout returns (which booked return really brought money back).
"""

from collections import defaultdict

from django.db.models import Sum

from settlement.ledger import booking
from settlement.ledger import queries as ledger_queries
from settlement.ledger.models import JournalEntry, LedgerAccount, Posting
from settlement.payouts.models import PayoutReturn
from settlement.statements.review import integrity


def reversed_cents() -> dict[tuple[int, str], int]:
    """Return per (participant id, currency) what transfer reversals brought back, booked.

    Only a booked return that is a transfer reversal counts, and never more than its
    payout: anything else credited back (a bank return booked before issue 17) is money
    that never came back to the platform, so it is still counted as sent.
    """
    booked = {
        int(source_id): -int(total)
        for source_id, total in Posting.objects.filter(
            entry__kind=JournalEntry.Kind.PAYOUT_REVERSED,
            entry__source_type=booking.SOURCE_RETURN,
            account__kind=LedgerAccount.Kind.PARTICIPANT_PAYABLE,
        )
        .values_list("entry__source_id")
        .annotate(total=Sum("amount_cents"))
        .order_by()
        if str(source_id).isdigit()
    }
    per_payout: dict[int, int] = defaultdict(int)
    owners: dict[int, tuple[int, str, int]] = {}
    for return_id, payout_id, participant_id, currency, payout_cents in PayoutReturn.objects.filter(
        pk__in=booked, kind=PayoutReturn.Kind.TRANSFER_REVERSED, payout__isnull=False
    ).values_list(
        "pk", "payout_id", "payout__participant_id", "payout__currency", "payout__amount_cents"
    ):
        per_payout[payout_id] += booked[return_id]
        owners[payout_id] = (participant_id, currency, payout_cents)
    found: dict[tuple[int, str], int] = defaultdict(int)
    for payout_id, cents in per_payout.items():
        participant_id, currency, payout_cents = owners[payout_id]
        found[(participant_id, currency)] += min(cents, payout_cents)
    return dict(found)


def sent_cents() -> dict[tuple[int, str], int]:
    """Return per (participant id, currency) what the ledger says was sent, less reversals.

    Sent is paid or in transit: money on its way can no longer be held back.
    """
    back = reversed_cents()
    sent = {
        key: figures.paid_cents + figures.in_transit_cents - back.get(key, 0)
        for key, figures in ledger_queries.money_out().items()
    }
    for key, cents in back.items():
        sent.setdefault(key, -cents)
    return sent


def violations() -> list[ledger_queries.Violation]:
    """Return every broken invariant: the ledger's, statements' postings', sent <= released."""
    return integrity.ledger_violations() + integrity.sent_within_released(
        sent=sent_cents(), source="by the ledger"
    )
