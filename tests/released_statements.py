"""Released statements made directly, for tests about what happens after settlement.

Payout tests need money that was released (the invariant bounds every payment by it) but
not the metering and settling that produce it: a completed run and its statement are
written as a run leaves them, and the approval is booked as `decisions.approve` books it.
"""

import datetime as dt
import zlib
from decimal import Decimal

from accounts.models import Participant, Program
from settlement.ledger import booking
from settlement.statements.models import SettlementRun, Statement

PERIOD_START = dt.date(2025, 1, 1)
PERIOD_END = dt.date(2025, 2, 1)


def statement(
    participant: Participant,
    program: Program,
    cents: int,
    ref: str,
    *,
    now: dt.datetime,
    state: str = Statement.State.RELEASED,
    book: bool = True,
) -> Statement:
    """Return the statement of `cents` for `ref` (the same ref: the same statement, once).

    Each ref has its own recalculation run of a January 2025 period; an approved or
    released statement's total is booked on the ledger unless `book` is False.
    """
    run, _ = SettlementRun.objects.get_or_create(
        program=program,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sequence=2 + zlib.crc32(ref.encode()) % 2_000_000_000,
        defaults={
            "type": SettlementRun.Type.RECALCULATION,
            "status": SettlementRun.Status.COMPLETED,
            "started_at": now,
            "completed_at": now,
        },
    )
    made, created = Statement.objects.get_or_create(
        run=run,
        participant=participant,
        defaults={
            "currency": program.currency,
            "state": state,
            "total": Decimal(cents) / 100,
            "content_sha256": "0" * 64,
            "created_at": now,
            "approved_at": now if state in Statement.BOOKED_STATES else None,
        },
    )
    if created and book and state in Statement.BOOKED_STATES:
        booking.book_statement_approval(
            statement_id=made.pk,
            run_id=run.pk,
            period_start=PERIOD_START,
            program=program,
            participant=participant,
            currency=program.currency,
            cents=cents,
            now=now,
        )
    return made
