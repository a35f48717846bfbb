"""Demo payouts: owner01's released July statement, paid by an ordinary payout run.

`settle_demo_month` approves and releases that statement; the payout run here pays exactly
its total, so lines = statement = ledger = payout. Without Stripe keys the program pays
manually: the payout is exported and the export confirmed (PAID), as the program would.
With keys (`make fake-stripe`), the run skips owner01 until they connect a payout account
at `/payouts/`; `run_payouts` then sends the transfer.
"""

import datetime as dt

from accounts.models import Participant, Program
from settlement.payouts import bill_credits, operations
from settlement.payouts.models import Payout

DEMO_PAID_OWNER = "owner01@example.com"


def seed_payouts(*, now: dt.datetime) -> dict[str, object]:
    """Pay owner01's released statements (idempotent); return what the run did."""
    owner = Participant.objects.get(email=DEMO_PAID_OWNER)
    run = operations.run_payouts(now=now, participant_ids=[owner.pk])
    # Manual and bill-credit payouts are completed by their program's export and its
    # confirmation; a Stripe payout is not exported (its transfer pays it).
    programs = Program.objects.filter(payouts__pk__in=run.payout_ids).distinct()
    for program in programs:
        export = bill_credits.export_bill_credits(program=program, period=f"{now:%Y-%m}", now=now)
        if export.file is not None:
            bill_credits.confirm_bill_credit_file(file_id=export.file.pk, now=now)
    return {
        "created": run.created,
        "skipped": [skip.reason for skip in run.skips],
        "payouts": Payout.objects.filter(participant=owner).count(),
    }
