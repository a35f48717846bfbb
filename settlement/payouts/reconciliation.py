"""Ledger against gateway: every Stripe payout matches exactly one transfer, to the cent."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum

from settlement.ledger.models import JournalEntry, LedgerAccount, Posting
from settlement.payouts import gateway
from settlement.payouts.models import Payout, PayoutMethod


@dataclass
class Report:
    """What reconciliation found; `problems` is empty when ledger and gateway agree."""

    matched: int = 0
    in_flight: int = 0
    payouts: int = 0
    transfers: int = 0
    gateway_cents: int = 0
    ledger_cents: int = 0
    problems: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "payouts": self.payouts,
            "transfers": self.transfers,
            "matched": self.matched,
            "in_flight": self.in_flight,
            "gateway_cents": self.gateway_cents,
            "ledger_cents": self.ledger_cents,
            "balanced": not self.problems and self.gateway_cents == self.ledger_cents,
            "problems": self.problems,
        }


def ledger_transferred_cents() -> int:
    """Return what the ledger says Stripe payouts moved out of transit to provider cash."""
    stripe_payout_ids = [
        str(pk)
        for pk in Payout.objects.filter(method=PayoutMethod.STRIPE_CONNECT).values_list(
            "pk", flat=True
        )
    ]
    total = Posting.objects.filter(
        entry__kind=JournalEntry.Kind.PAYOUT_PAID,
        entry__source_type="payout",
        entry__source_id__in=stripe_payout_ids,
        account__kind=LedgerAccount.Kind.PROVIDER_CASH,
    ).aggregate(total=Sum("amount_cents"))["total"]
    return -int(total or 0)


def reconcile() -> Report:
    """Return the comparison of our Stripe payouts and ledger with the platform's transfers.

    Raises gateway errors when Stripe cannot be reached.
    """
    report = Report()
    by_payout: dict[str, list[gateway.Transfer]] = defaultdict(list)
    for transfer in gateway.all_transfers():
        report.transfers += 1
        report.gateway_cents += transfer.amount_cents
        by_payout[transfer.metadata.get("payout_id", "")].append(transfer)
    payouts = Payout.objects.filter(method=PayoutMethod.STRIPE_CONNECT).order_by("pk")
    for payout in payouts:
        report.payouts += 1
        found = by_payout.pop(str(payout.pk), [])
        if len(found) > 1:
            report.problems.append(
                {"payout": payout.pk, "problem": f"{len(found)} transfers for one payout"}
            )
        elif payout.status in (Payout.Status.PAID, Payout.Status.RETURNED):
            if not found:
                report.problems.append({"payout": payout.pk, "problem": "paid but no transfer"})
            elif (found[0].id, found[0].amount_cents) != (
                payout.stripe_transfer_id,
                payout.amount_cents,
            ):
                report.problems.append(
                    {"payout": payout.pk, "problem": f"transfer {found[0].id} differs"}
                )
            else:
                report.matched += 1
        elif payout.status == Payout.Status.FAILED and found:
            report.problems.append({"payout": payout.pk, "problem": "failed but transferred"})
        elif payout.status in Payout.OPEN_STATUSES:
            report.in_flight += 1
    for payout_ref, transfers in by_payout.items():
        for transfer in transfers:
            report.problems.append(
                {"transfer": transfer.id, "payout": payout_ref, "problem": "no such payout"}
            )
    report.ledger_cents = ledger_transferred_cents()
    return report
