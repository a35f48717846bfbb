"""`check_ledger`: verify every ledger invariant and print JSON `ok` and `violations`.

It lives with payouts, the layer that sees the ledger, statements and payouts: an approved
statement's total equals its postings (`statements.review.integrity`), and money sent never
exceeds money released (`payouts.integrity`); the ledger's own checks are
`settlement.ledger.queries.violations`. Exits 1 when an invariant is broken.
"""

from typing import Any

from settlement import commands
from settlement.payouts import integrity


class Command(commands.JsonCommand):
    help = (
        "Check that the ledger balances, matches approved statements and sent no more than "
        "was released; prints JSON."
    )

    def run(self, **options: Any) -> object:
        violations = integrity.violations()
        return commands.Checked(
            summary={"ok": not violations, "violations": violations}, passed=not violations
        )
