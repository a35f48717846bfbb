"""Pay every participant balance that is due; print what was done as JSON."""

from typing import Any

from django.utils import timezone

from settlement import commands
from settlement.payouts import operations


class Command(commands.JsonCommand):
    help = "Create payouts for payable balances, send them, and reconcile unknown outcomes."

    def run(self, **options: Any) -> object:
        summary = operations.run_payouts(now=timezone.now())
        return {
            "created": summary.created,
            "sent": summary.sent,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "unknown": summary.unknown,
            "total": summary.total,
            "total_cents": summary.total_cents,
            "payouts": summary.payout_ids,
            "skips": [
                {
                    "participant": skip.participant_id,
                    "currency": skip.currency,
                    "balance_cents": skip.balance_cents,
                    "reason": skip.reason,
                }
                for skip in summary.skips
            ],
        }
