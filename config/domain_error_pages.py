"""Middleware: a domain error raised by a page is its 4xx, never a server error.

API views turn domain errors into JSON in `config.exception_handler`; staff and portal
pages call the same `access_*` queries and operations, so a missing object shows the app's
404 page, a forbidden one the 403 page, and any other refusal (an export format or a tax
year the domain does not know) its status with its message, as the API would answer it.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse

from settlement.errors import DomainError, NotFound, PermissionDenied


class DomainErrorPages:
    """Turn NotFound into Http404, PermissionDenied into Django's, others into their status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Return the response for a domain error; None for any other exception."""
        if isinstance(exception, NotFound):
            return response_for_exception(request, Http404(exception.message))
        if isinstance(exception, PermissionDenied):
            return response_for_exception(request, DjangoPermissionDenied(exception.message))
        if isinstance(exception, DomainError):
            # Plain text: the message names the field and the reason, and is not HTML.
            return HttpResponse(
                exception.message,
                status=exception.http_status,
                content_type="text/plain; charset=utf-8",
            )
        return None
