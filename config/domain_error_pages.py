"""Middleware: a domain NotFound or PermissionDenied raised by a page is its 404 or 403.

API views turn domain errors into JSON in `config.exception_handler`; staff and portal
pages call the same `access_*` queries, and a missing object there must show the app's 404
page, not a server error.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse

from settlement.errors import NotFound, PermissionDenied


class DomainErrorPages:
    """Turn NotFound into Http404 and PermissionDenied into Django's, for every page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Return the 404/403 response for a domain access error; None for anything else."""
        if isinstance(exception, NotFound):
            return response_for_exception(request, Http404(exception.message))
        if isinstance(exception, PermissionDenied):
            return response_for_exception(request, DjangoPermissionDenied(exception.message))
        return None
