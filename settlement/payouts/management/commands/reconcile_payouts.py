"""Compare the ledger's Stripe payouts with the platform's transfers; print JSON."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from settlement.payouts import gateway, reconciliation


class Command(BaseCommand):
    help = "Reconcile payouts: ledger against the transfers Stripe reports."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = reconciliation.reconcile()
        except gateway.GatewayError as error:
            raise CommandError(
                json.dumps({"error": {"code": error.code, "message": error.message}})
            ) from error
        self.stdout.write(json.dumps(report.as_dict()))
        if report.problems:
            raise SystemExit(1)
