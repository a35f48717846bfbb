"""Staff pages for payouts: all payouts with filters, reconciliation, the tax totals file."""

import io
from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import signed_in
from settlement.payouts import gateway, queries, reconciliation, tax_report
from settlement.payouts.models import Payout, PayoutMethod
from settlement.staff import access


@access.staff_required
def payouts(request: HttpRequest) -> HttpResponse:
    """List payouts, newest first, filtered by status, method, program and participant."""
    user = signed_in.signed_in_user(request)
    filters = {
        name: request.GET.get(name, "") for name in ("status", "method", "program", "participant")
    }
    listed = queries.filter_payouts(queries.payouts_visible_to(user=user), **filters).order_by(
        "-created_at", "-pk"
    )[:500]
    rows = [
        {"payout": payout, "amount": queries.format_cents(payout.amount_cents, payout.currency)}
        for payout in listed
    ]
    context = {
        "rows": rows,
        "filters": filters,
        "statuses": Payout.Status.choices,
        "methods": PayoutMethod.choices,
        "year": timezone.now().year,
    }
    return render(request, "staff/payouts.html", context)


@access.staff_required
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    """Show the ledger against the gateway's transfers, and every difference found."""
    context: dict[str, object] = {"report": None, "error": "", "currencies": []}
    if not gateway.is_configured():
        context["error"] = "No Stripe key is configured: there are no transfers to reconcile."
        return render(request, "staff/payouts_reconciliation.html", context)
    try:
        report = reconciliation.reconcile()
    except gateway.GatewayError as failure:
        context["error"] = failure.message
        return render(request, "staff/payouts_reconciliation.html", context)
    context["report"] = report
    context["currencies"] = [
        {
            "currency": currency,
            "balanced": totals.balanced,
            **{
                name: queries.format_cents(cents, currency)
                for name, cents in asdict(totals).items()
            },
        }
        for currency, totals in sorted(report.totals.items())
    ]
    return render(request, "staff/payouts_reconciliation.html", context)


@access.staff_required
def tax_totals(request: HttpRequest) -> HttpResponse:
    """Download the yearly totals per participant and tax form as CSV."""
    year = tax_report.year_from_text(text=request.GET.get("year", ""), default=timezone.now().year)
    buffer = io.StringIO()
    tax_report.write_tax_totals(buffer, year=year)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tax-totals-{year}.csv"'
    return response
