"""Owner portal pages for statements: the approved and released ones, only their own."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts import queries as account_queries
from accounts import signed_in
from settlement.errors import NotFound
from settlement.payouts import statement_documents
from settlement.portal import charts
from settlement.statements.models import Statement
from settlement.statements.review import access
from settlement.statements.review import queries as statement_queries


def _statement(request: HttpRequest, statement_id: int) -> Statement:
    user = signed_in.signed_in_user(request)
    try:
        return access.access_statement_for_owner(user=user, statement_id=statement_id)
    except NotFound:
        raise Http404("No such statement.") from None


@login_required
@require_safe
def statements(request: HttpRequest) -> HttpResponse:
    """List the owner's statements by period: a table on wide screens, cards on a phone."""
    user = signed_in.signed_in_user(request)
    found = [
        statement
        for participant in account_queries.participants_of(user=user).order_by("pk")
        for statement in statement_queries.statements_of_participant(participant=participant)
    ]
    return render(request, "portal/statements.html", {"statements": found})


@login_required
@require_safe
def statement(request: HttpRequest, statement_id: int) -> HttpResponse:
    """Show one of the owner's statements with its lines in plain words and their arithmetic."""
    found = _statement(request, statement_id)
    document = statement_documents.document_of(statement=found)
    return render(
        request,
        "portal/statement.html",
        {
            "document": document,
            "chart": charts.chart(
                days=document.days, currency=document.currency, today=timezone.localdate()
            ),
        },
    )


@login_required
@require_safe
def download(request: HttpRequest, statement_id: int, document_format: str) -> HttpResponse:
    """Send the statement as a PDF or CSV file (404 for anyone else's)."""
    # The route is a regular expression (to admit only pdf and csv), so the id comes as text.
    found = _statement(request, int(statement_id))
    body, content_type, name = statement_documents.render(
        statement=found, document_format=document_format
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
