"""Ledger against gateway: every Stripe payout matches exactly one transfer, to the cent.

Reversals too: what Stripe reversed of a transfer (capped at the transfer) is what was
booked back. And the money the gateway says went to each participant, less reversals, plus
their confirmed bill-credit and manual payouts, never exceeds what was released to them.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from settlement.ledger.models import JournalEntry, LedgerAccount, Posting
from settlement.payouts import gateway
from settlement.payouts.models import Payout, PayoutMethod, PayoutReturn
from settlement.statements.review import integrity


@dataclass
class Totals:
    """One currency's money on each side, in its minor unit: never summed across currencies."""

    gateway_cents: int = 0
    ledger_cents: int = 0
    gateway_reversed_cents: int = 0
    ledger_reversed_cents: int = 0

    @property
    def balanced(self) -> bool:
        return (self.gateway_cents, self.gateway_reversed_cents) == (
            self.ledger_cents,
            self.ledger_reversed_cents,
        )


@dataclass
class Report:
    """What reconciliation found; `problems` is empty when ledger and gateway agree."""

    matched: int = 0
    in_flight: int = 0
    payouts: int = 0
    transfers: int = 0
    # Per currency (ISO 4217, upper case).
    totals: defaultdict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    problems: list[dict[str, object]] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.problems and all(totals.balanced for totals in self.totals.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "payouts": self.payouts,
            "transfers": self.transfers,
            "matched": self.matched,
            "in_flight": self.in_flight,
            "currencies": {
                currency: asdict(totals) for currency, totals in sorted(self.totals.items())
            },
            "balanced": self.balanced,
            "problems": self.problems,
        }


def ledger_transferred_cents() -> dict[str, int]:
    """Return per currency what the ledger says Stripe payouts moved out of provider cash."""
    stripe_payout_ids = [
        str(pk)
        for pk in Payout.objects.filter(method=PayoutMethod.STRIPE_CONNECT).values_list(
            "pk", flat=True
        )
    ]
    return {
        currency: -total
        for currency, total in _provider_cash_by_currency(
            entry__kind=JournalEntry.Kind.PAYOUT_PAID,
            entry__source_type="payout",
            entry__source_id__in=stripe_payout_ids,
        ).items()
    }


def ledger_reversed_cents() -> dict[str, int]:
    """Return per currency what the ledger says reversals brought back to provider cash."""
    return _provider_cash_by_currency(entry__kind=JournalEntry.Kind.PAYOUT_REVERSED)


def _provider_cash_by_currency(**filters: object) -> dict[str, int]:
    rows = (
        Posting.objects.filter(account__kind=LedgerAccount.Kind.PROVIDER_CASH, **filters)
        .values_list("account__currency")
        .annotate(total=Sum("amount_cents"))
    )
    return {str(currency).upper(): int(total) for currency, total in rows}


def _reversal_problem(payout: Payout, transfer: gateway.Transfer) -> dict[str, object] | None:
    at_stripe = min(transfer.amount_reversed_cents, transfer.amount_cents)
    booked = payout.booked_back_cents  # type: ignore[attr-defined] # annotated in reconcile()
    if booked == at_stripe:
        return None
    return {
        "payout": payout.pk,
        "problem": f"transfer {transfer.id} has {at_stripe} cents reversed, {booked} booked back",
    }


def _sent_by_gateway(
    transfers: list[gateway.Transfer], payouts: dict[str, Payout]
) -> dict[tuple[int, str], int]:
    """Return per participant what the gateway transferred less reversals, with the
    bill-credit and manual payouts confirmed (they never pass through Stripe)."""
    sent: dict[tuple[int, str], int] = defaultdict(int)
    for transfer in transfers:
        payout = payouts.get(transfer.metadata.get("payout_id", ""))
        named = transfer.metadata.get("participant_id", "")
        participant_id = payout.participant_id if payout else int(named) if named.isdigit() else 0
        if participant_id:
            sent[(participant_id, transfer.currency)] += (
                transfer.amount_cents - transfer.amount_reversed_cents
            )
    for participant_id, currency, cents in (
        Payout.objects.exclude(method=PayoutMethod.STRIPE_CONNECT)
        .filter(status=Payout.Status.PAID)
        .values_list("participant_id", "currency", "amount_cents")
    ):
        sent[(participant_id, currency)] += cents
    return dict(sent)


def _match(report: Report, payout: Payout, found: list[gateway.Transfer]) -> None:
    """Add to `report` how one Stripe payout compares with the transfers made for it."""
    if len(found) > 1:
        report.problems.append(
            {"payout": payout.pk, "problem": f"{len(found)} transfers for one payout"}
        )
    elif payout.status in (Payout.Status.PAID, Payout.Status.RETURNED):
        if not found:
            report.problems.append({"payout": payout.pk, "problem": "paid but no transfer"})
        elif (found[0].id, found[0].amount_cents, found[0].currency) != (
            payout.stripe_transfer_id,
            payout.amount_cents,
            payout.currency.upper(),
        ):
            report.problems.append(
                {"payout": payout.pk, "problem": f"transfer {found[0].id} differs"}
            )
        else:
            report.matched += 1
            reversal = _reversal_problem(payout, found[0])
            if reversal is not None:
                report.problems.append(reversal)
    elif payout.status == Payout.Status.FAILED and found:
        report.problems.append({"payout": payout.pk, "problem": "failed but transferred"})
    elif payout.status in Payout.OPEN_STATUSES:
        report.in_flight += 1


def reconcile() -> Report:
    """Return the comparison of our Stripe payouts and ledger with the platform's transfers.

    Raises gateway errors when Stripe cannot be reached.
    """
    report = Report()
    by_payout: dict[str, list[gateway.Transfer]] = defaultdict(list)
    transfers = gateway.all_transfers()
    for transfer in transfers:
        report.transfers += 1
        totals = report.totals[transfer.currency]
        totals.gateway_cents += transfer.amount_cents
        totals.gateway_reversed_cents += min(transfer.amount_reversed_cents, transfer.amount_cents)
        by_payout[transfer.metadata.get("payout_id", "")].append(transfer)
    payouts = (
        Payout.objects.filter(method=PayoutMethod.STRIPE_CONNECT)
        # What was booked back of each, in the one query (not one a payout).
        .annotate(
            booked_back_cents=Coalesce(
                Sum(
                    "returns__amount_cents",
                    filter=Q(returns__kind=PayoutReturn.Kind.TRANSFER_REVERSED),
                ),
                0,
            )
        )
        .order_by("pk")
    )
    sent = _sent_by_gateway(transfers, {str(payout.pk): payout for payout in payouts})
    for payout in payouts:
        report.payouts += 1
        _match(report, payout, by_payout.pop(str(payout.pk), []))
    for payout_ref, strays in by_payout.items():
        for transfer in strays:
            report.problems.append(
                {"transfer": transfer.id, "payout": payout_ref, "problem": "no such payout"}
            )
    for violation in integrity.sent_within_released(sent=sent, source="Stripe's transfers"):
        report.problems.append({"participant": violation["ref"], "problem": violation["message"]})
    for currency, cents in ledger_transferred_cents().items():
        report.totals[currency].ledger_cents = cents
    for currency, cents in ledger_reversed_cents().items():
        report.totals[currency].ledger_reversed_cents = cents
    return report
