"""`check_ledger`: verify every ledger invariant and print JSON `ok` and `violations`.

It lives with payouts, the layer that sees the ledger, statements and payouts: an approved
statement's total equals its postings (`statements.review.integrity`), and money sent
never exceeds money released (`payouts.integrity`); the ledger's own checks are
`settlement.ledger.queries.violations`.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand

from settlement.payouts import integrity


class Command(BaseCommand):
    help = (
        "Check that the ledger balances, matches approved statements and sent no more than "
        "was released; prints JSON."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        violations = integrity.violations()
        self.stdout.write(json.dumps({"ok": not violations, "violations": violations}))
        if violations:
            sys.exit(1)
