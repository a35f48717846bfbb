"""Compare the ledger's Stripe payouts with the platform's transfers; print JSON.

Exits 1 when the comparison finds a problem, 2 when Stripe cannot be asked.
"""

from typing import Any

from settlement import commands
from settlement.payouts import reconciliation


class Command(commands.JsonCommand):
    help = "Reconcile payouts: ledger against the transfers Stripe reports."

    def run(self, **options: Any) -> object:
        report = reconciliation.reconcile()
        return commands.Checked(summary=report.as_dict(), passed=report.balanced)
