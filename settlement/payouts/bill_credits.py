"""Bill-credit and manual payouts: exported per program and period, paid when confirmed.

The rows are the same payout rows a Stripe transfer would pay; the export file stands in for
the transfer, and its confirmation by the utility for Stripe's answer.
"""

import hashlib
import io
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from accounts.models import Program
from settlement import safe_csv
from settlement.errors import DomainError
from settlement.ledger import booking
from settlement.payouts import notifications
from settlement.payouts.models import BillCreditFile, Payout, PayoutMethod

HEADER = (
    "payout_id",
    "participant",
    "email",
    "utility_accounts",
    "amount",
    "currency",
    "method",
    "reference",
)


class PeriodInvalid(DomainError):
    """A period must be a month written YYYY-MM."""

    code = "period_invalid"


class FileNotFound(DomainError):
    """No bill-credit file with this id."""

    code = "bill_credit_file_not_found"
    http_status = 404


@dataclass(frozen=True)
class Export:
    """The file written (None when nothing was due) and how many payouts it holds."""

    file: BillCreditFile | None
    rows: int
    total_cents: int


def period_end(*, program: Program, period: str) -> datetime:
    """Return the instant the period ends: the next month's first midnight, program time."""
    try:
        year, month = (int(part) for part in period.split("-"))
        start = datetime(year, month, 1, tzinfo=zoneinfo.ZoneInfo(program.timezone))
    except ValueError as error:
        raise PeriodInvalid(f"period {period!r} is not a month YYYY-MM") from error
    if len(period) != 7:
        raise PeriodInvalid(f"period {period!r} is not a month YYYY-MM")
    return start.replace(year=year + month // 12, month=month % 12 + 1)


@transaction.atomic
def export_bill_credits(*, program: Program, period: str, now: datetime) -> Export:
    """Return the export of the program's waiting bill-credit and manual payouts.

    Takes every such PENDING payout created before the end of `period`; each goes into one
    file only (it is EXPORTED from then on). The CSV is formula-safe.
    """
    ends = period_end(program=program, period=period)
    payouts = list(
        Payout.objects.select_for_update()
        .filter(
            program=program,
            method__in=[PayoutMethod.BILL_CREDIT, PayoutMethod.MANUAL],
            status=Payout.Status.PENDING,
            created_at__lt=ends,
        )
        .select_related("participant")
        .order_by("pk")
    )
    if not payouts:
        return Export(file=None, rows=0, total_cents=0)
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for payout in payouts:
        accounts = ";".join(
            sorted(payout.participant.sites.values_list("account_number", flat=True))
        )
        writer.writerow(
            [
                payout.pk,
                payout.participant.name,
                payout.participant.email,
                accounts,
                str((Decimal(payout.amount_cents) / 100).quantize(Decimal("0.01"))),
                payout.currency,
                payout.method,
                payout.transfer_group,
            ]
        )
    content = buffer.getvalue()
    total = sum(payout.amount_cents for payout in payouts)
    export = BillCreditFile.objects.create(
        program=program,
        period=period,
        content=content,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
        total_cents=total,
        rows=len(payouts),
        created_at=now,
    )
    Payout.objects.filter(pk__in=[p.pk for p in payouts]).update(
        status=Payout.Status.EXPORTED, bill_credit_file=export, updated_at=now
    )
    return Export(file=export, rows=len(payouts), total_cents=total)


@transaction.atomic
def confirm_bill_credit_file(*, file_id: int, now: datetime) -> BillCreditFile:
    """Return the file marked confirmed, its payouts PAID and out of transit (once)."""
    export = BillCreditFile.objects.select_for_update().filter(pk=file_id).first()
    if export is None:
        raise FileNotFound(f"bill-credit file {file_id} does not exist")
    if export.status == BillCreditFile.Status.CONFIRMED:
        return export
    for payout in export.payouts.select_for_update().filter(status=Payout.Status.EXPORTED):
        booking.book_payout_paid(
            payout_id=payout.pk,
            participant=payout.participant,
            currency=payout.currency,
            cents=payout.amount_cents,
            memo=f"bill-credit file {export.pk} confirmed",
            now=now,
        )
        payout.status = Payout.Status.PAID
        payout.paid_at = now
        payout.updated_at = now
        payout.save()
        notifications.payout_sent(payout=payout)
    export.status = BillCreditFile.Status.CONFIRMED
    export.confirmed_at = now
    export.save()
    return export
