"""`check_ledger`: verify every ledger invariant and print JSON `ok` and `violations`.

It lives with statements, the layer above the ledger, because one invariant (an approved
statement's total equals its postings) needs both; the ledger's own checks are
`settlement.ledger.queries.violations`.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from settlement.statements.review import integrity


class Command(BaseCommand):
    help = "Check that the ledger balances and matches approved statements; prints JSON."

    def handle(self, *args: Any, **options: Any) -> None:
        violations = integrity.ledger_violations()
        self.stdout.write(json.dumps({"ok": not violations, "violations": violations}))
        if violations:
            sys.exit(1)
