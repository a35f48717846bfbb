"""Owner portal pages for statements: the approved and released ones, only their own."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import queries as account_queries
from accounts import signed_in
from settlement.errors import NotFound
from settlement.statements.review import access
from settlement.statements.review import queries as statement_queries


@login_required
def statements(request: HttpRequest) -> HttpResponse:
    """List the owner's statements by period with their status."""
    user = signed_in.signed_in_user(request)
    found = [
        statement
        for participant in account_queries.participants_of(user=user).order_by("pk")
        for statement in statement_queries.statements_of_participant(participant=participant)
    ]
    return render(request, "portal/statements.html", {"statements": found})


@login_required
def statement(request: HttpRequest, statement_id: int) -> HttpResponse:
    """Show one of the owner's statements with its lines in plain words."""
    user = signed_in.signed_in_user(request)
    try:
        found = access.access_statement_for_owner(user=user, statement_id=statement_id)
    except NotFound:
        raise Http404("No such statement.") from None
    return render(
        request,
        "portal/statement.html",
        {"statement": found, "document": statement_queries.owner_statement(statement=found)},
    )
