"""Demo payouts: an owner paid manually (exported and confirmed), the fleet owed a payout."""

import datetime as dt

from django.db import transaction

from accounts.models import Participant, Program
from settlement.payouts import bill_credits, operations
from settlement.payouts.models import BillCreditFile, Payout

DEMO_PAID_OWNER = "owner01@example.com"
DEMO_PAID_CENTS = 1_992
DEMO_FLEET_CENTS = 48_610


def seed_payouts(*, program_code: str, fleet_email: str, now: dt.datetime) -> dict[str, object]:
    """Give two demo participants balances and pay one of them; idempotent.

    Without Stripe keys the program pays manually: the owner's payout is exported and
    confirmed (PAID), the fleet's waits for the next export (PENDING).
    """
    program = Program.objects.get(code=program_code)
    owner = Participant.objects.get(email=DEMO_PAID_OWNER)
    fleet = Participant.objects.get(email=fleet_email)
    with transaction.atomic():
        operations.credit_participant_payable(
            participant=owner,
            program=program,
            currency=program.currency,
            cents=DEMO_PAID_CENTS,
            source_type="demo_statement",
            source_id="owner01-2025-07",
            now=now,
        )
    paid = operations.run_payouts(now=now, participant_ids=[owner.pk])
    period = now.strftime("%Y-%m")
    if not BillCreditFile.objects.filter(program=program).exists():
        export = bill_credits.export_bill_credits(program=program, period=period, now=now)
        if export.file is not None:
            bill_credits.confirm_bill_credit_file(file_id=export.file.pk, now=now)
    with transaction.atomic():
        operations.credit_participant_payable(
            participant=fleet,
            program=program,
            currency=program.currency,
            cents=DEMO_FLEET_CENTS,
            source_type="demo_statement",
            source_id="fleet-2025-07",
            now=now,
        )
    owed = operations.run_payouts(now=now, participant_ids=[fleet.pk])
    return {
        "created": paid.created + owed.created,
        "payouts": Payout.objects.filter(participant__in=[owner, fleet]).count(),
    }
