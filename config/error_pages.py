"""Django's error views, answering the one JSON error shape under /api/ and pages elsewhere.

Routes that match no URL (`/api/v1/nothing/`, `/api/v1/metering/uploads/null,null/`) and
errors raised outside DRF's handler never reach `config.exception_handler`; these views
give them the same envelope as every other API error.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from settlement.errors import error_body

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(*, code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code=code, message=message), status=status)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Return the 404 response: JSON under /api/, the app's 404 page elsewhere."""
    if _is_api(request):
        return _json(code="not_found", message="Not found.", status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Return the 500 response: JSON under /api/, the plain 500 page elsewhere."""
    if _is_api(request):
        return _json(code="server_error", message="A server error occurred.", status=500)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Return the 400 response for a request Django refused before any view."""
    if _is_api(request):
        return _json(code="bad_request", message="The request is not valid.", status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Return the 403 response raised outside DRF's views."""
    if _is_api(request):
        return _json(
            code="permission_denied",
            message="You do not have permission to perform this action.",
            status=403,
        )
    return defaults.permission_denied(request, exception)


def locked_out(request: HttpRequest, credentials: object) -> HttpResponse:
    """Return django-axes' lockout answer: 429 with Retry-After, JSON under /api/."""
    retry_after_s = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse(
            error_body(
                code="throttled",
                message="Too many failed sign-ins; try again later.",
                details={"retry_after_s": retry_after_s},
            ),
            status=429,
        )
    else:
        minutes = retry_after_s // 60
        response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after_s)
    return response
