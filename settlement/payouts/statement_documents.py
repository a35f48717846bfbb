"""An owner's statement as a document: plain lines, totals and how it is paid; PDF and CSV.

In payouts because the document names the payout that paid it (or says it is netted
against the next one), which only this layer may read. Every amount goes through
`settlement.formatting` in the statement's currency.
"""

import dataclasses
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

import reportlab
from django.core.cache import caches
from django.db.models import Sum
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from accounts.models import Channel
from settlement import formatting, safe_csv
from settlement.errors import DomainError
from settlement.payouts import dashboard
from settlement.payouts.models import Payout, PayoutStatement
from settlement.statements.models import Statement, StatementLine
from settlement.statements.review import queries as statement_queries

FORMATS = ("pdf", "csv")
CSV_COLUMNS = (
    "statement_id",
    "program",
    "period_start",
    "period_end",
    "line",
    "what",
    "kwh",
    "price",
    "amount",
    "currency",
)


# Rendered PDFs are kept in this cache (config/settings.py), keyed by a hash of everything
# the PDF prints. Raise PDF_LAYOUT whenever `_pdf` changes what it draws: the key then
# changes with it, and no PDF of the old layout is served again.
PDF_CACHE = "documents"
PDF_LAYOUT = 1


class DocumentFormatInvalid(DomainError):
    """The statement document format is not pdf or csv."""

    code = "document_format_invalid"


@dataclass(frozen=True)
class DocumentLine:
    """One line as its owner reads it, with how it was computed."""

    number: int
    what: str
    kwh: Decimal
    price: Decimal | None
    amount: Decimal
    how: str


@dataclass(frozen=True)
class StatementDocument:
    """Everything an owner's statement says, ready for a page, a PDF or a CSV."""

    statement_id: int
    reference: str
    program: str
    utility: str
    participant: str
    period_start: dt.date
    period_end: dt.date
    period: str
    zone: str
    currency: str
    kind: str
    state: str
    total: Decimal
    lines: list[DocumentLine]
    payment: str
    # The period's days for the page's chart: exported kWh (daily totals) and what it earned
    # at the statement's own price of exported energy. Empty in a document made for a file:
    # neither the PDF nor the CSV prints them.
    days: list[dashboard.ChartDay]


def _how(line: StatementLine, currency: str) -> str:
    """Return the arithmetic of a priced line ("40.000 kWh x $0.30/kWh = $12.00")."""
    amount = formatting.money(amount=line.amount, currency=currency)
    if line.price is None:
        return f"{amount}, a fixed amount" if line.kwh == 0 else amount
    kwh = formatting.energy(kwh=line.kwh, places=3)
    price = formatting.price(amount=line.price, currency=currency)
    return f"{kwh} x {price} = {amount}"


def _payment(statement: Statement) -> str:
    """Return how the statement is paid, in a sentence: its payout, or what happens next."""
    currency = statement.currency
    if statement.total < 0:
        owed = formatting.money(amount=-statement.total, currency=currency)
        return f"You owe {owed}: it is netted against your next payout, not billed."
    link = PayoutStatement.objects.filter(statement=statement).select_related("payout").first()
    if link is None:
        if statement.state == Statement.State.RELEASED:
            return "Released to payouts: it is paid with your next payout."
        return "Approved: it is paid once the program releases it to payouts."
    payout: Payout = link.payout
    reference = payout.stripe_transfer_id or f"payout {payout.pk}"
    return f"Paid by {reference} ({payout.get_status_display()})."


def _days(statement: Statement) -> list[dashboard.ChartDay]:
    """Return each local day of the statement's period with its kWh and earnings."""
    run = statement.run
    kwh_by_day = dashboard.daily_export_kwh(
        channels=Channel.objects.filter(site__participant_id=statement.participant_id),
        first_day=run.period_start,
        end_day=run.period_end,
    )
    totals = statement.lines.filter(kind=StatementLine.Kind.EXPORT_ENERGY).aggregate(
        amount=Sum("amount"), kwh=Sum("kwh")
    )
    price = Decimal(totals["amount"]) / Decimal(totals["kwh"]) if totals["kwh"] else None
    return dashboard.chart_days(
        kwh_by_day=kwh_by_day,
        prices=[] if price is None else [(run.period_start, run.period_end, price)],
        fallback_price=None,
        first_day=run.period_start,
        days=(run.period_end - run.period_start).days,
    )


def document_of(*, statement: Statement, days: bool = True) -> StatementDocument:
    """Return the owner's document of an approved or released statement.

    `days=False` leaves out the period's days (two queries), which only the page shows.
    """
    currency = statement.currency
    run = statement.run
    lines = [
        DocumentLine(
            number=line.number,
            what=statement_queries.describe_line(line=line, currency=currency),
            kwh=line.kwh,
            price=line.price,
            amount=line.amount,
            how=_how(line, currency),
        )
        for line in statement_queries.lines_of(statement=statement)
    ]
    return StatementDocument(
        statement_id=statement.pk,
        reference=f"ST-{statement.pk:06d}",
        program=run.program.name,
        utility=run.program.utility,
        participant=statement.participant.name,
        period_start=run.period_start,
        period_end=run.period_end,
        period=formatting.period(start=run.period_start, end=run.period_end),
        zone=run.program.timezone,
        currency=currency,
        kind="Statement" if run.type == "INITIAL" else "Correction",
        state=str(statement.get_state_display()),
        total=statement.total,
        lines=lines,
        payment=_payment(statement),
        days=_days(statement) if days else [],
    )


def _pdf(document: StatementDocument) -> bytes:
    """Return the document as a one-column US Letter PDF."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()

    def money(value: Decimal) -> str:
        return formatting.money(amount=value, currency=document.currency)

    story = [
        # Paragraphs read a little markup: every text from the database is escaped.
        Paragraph(
            escape(f"{document.program}: {document.kind.lower()} for {document.period}"),
            styles["Title"],
        ),
        Paragraph(
            escape(f"Statement {document.reference} for {document.participant}"),
            styles["Normal"],
        ),
        Paragraph(
            f"Period {document.period_start.isoformat()} to "
            f"{(document.period_end - dt.timedelta(days=1)).isoformat()} (local dates, "
            f"time zone {document.zone}) · {escape(document.utility)} · status {document.state}",
            styles["Normal"],
        ),
        Spacer(1, 0.2 * inch),
    ]
    rows: list[list[object]] = [["#", "What", "How it was computed", "Amount"]]
    cell = styles["BodyText"]
    rows += [
        [
            str(line.number),
            Paragraph(escape(line.what), cell),
            Paragraph(escape(line.how), cell),
            money(line.amount),
        ]
        for line in document.lines
    ]
    rows.append(["", "Total", "", money(document.total)])
    table = Table(rows, colWidths=[0.4 * inch, 3.2 * inch, 2.4 * inch, 1.0 * inch], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 0.2 * inch), Paragraph(escape(document.payment), styles["Normal"])]
    SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=f"Statement {document.reference}",
        author=document.utility,
    ).build(story)
    return buffer.getvalue()


def _pdf_key(document: StatementDocument) -> str:
    """Return the cache key of the document's PDF: a hash of everything the PDF prints.

    Every field but the days (which the PDF does not print) enters the hash, so a statement
    whose payment, state, lines or names change gets a PDF of its own; so do the layout's
    version and ReportLab's, which decide how those fields are drawn.
    """
    printed = dataclasses.asdict(document)
    del printed["days"]
    printed["layout"] = PDF_LAYOUT
    printed["reportlab"] = reportlab.Version
    text = json.dumps(printed, sort_keys=True, default=str)
    return f"statement-pdf:{hashlib.sha256(text.encode()).hexdigest()}"


def _cached_pdf(document: StatementDocument) -> bytes:
    """Return the document's PDF, rendered by ReportLab only when no identical one is kept.

    An owner downloads the same statement again and again, and ReportLab spends a few
    milliseconds of CPU on each rendering (2.4 ms for two lines, more with more); what
    changes the PDF changes its key. A kept PDF's creation date is its first rendering's.
    """
    cache = caches[PDF_CACHE]
    key = _pdf_key(document)
    body = cache.get(key)
    if body is None:
        body = _pdf(document)
        cache.set(key, body, timeout=None)
    return bytes(body)


def _csv(document: StatementDocument) -> bytes:
    """Return the lines as CSV through the formula-safe writer, one row per line."""
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(
        (
            document.reference,
            document.program,
            document.period_start.isoformat(),
            document.period_end.isoformat(),
            line.number,
            line.what,
            line.kwh,
            "" if line.price is None else line.price,
            line.amount,
            document.currency,
        )
        for line in document.lines
    )
    return buffer.getvalue().encode()


def render(*, statement: Statement, document_format: str) -> tuple[bytes, str, str]:
    """Return (body, content type, file name); raises DocumentFormatInvalid."""
    if document_format not in FORMATS:
        raise DocumentFormatInvalid(
            f"format must be pdf or csv, not {document_format!r}", details={"field": "format"}
        )
    document = document_of(statement=statement, days=False)
    name = f"statement-{document.reference}-{document.period_start:%Y-%m}.{document_format}"
    if document_format == "pdf":
        return _cached_pdf(document), "application/pdf", name
    return _csv(document), "text/csv; charset=utf-8", name
