"""`check_ledger`: verify every ledger invariant and print JSON `ok` and `violations`.

It lives with statements, the layer above the ledger, because one invariant (an approved
statement's total equals its postings) needs both; the ledger's own checks are
`settlement.ledger.queries.violations`. Exits 1 when an invariant is broken.
"""

from typing import Any

from settlement import commands
from settlement.statements.review import integrity


class Command(commands.JsonCommand):
    help = "Check that the ledger balances and matches approved statements; prints JSON."

    def run(self, **options: Any) -> object:
        violations = integrity.ledger_violations()
        return commands.Checked(
            summary={"ok": not violations, "violations": violations}, passed=not violations
        )
