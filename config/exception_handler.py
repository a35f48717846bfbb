"""The single DRF exception handler: every API error has one JSON shape.

    {"error": {"code": "<stable_code>", "message": "<human sentence>", "details": {...}}}

`details` carries field errors for validation failures (field -> list of messages) and
whatever context a domain error attaches.
"""

import json
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config import error_pages
from settlement.errors import DomainError, error_body


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Return the response for an exception raised in an API view, in the one error shape."""
    if isinstance(exc, DomainError):
        return Response(
            error_body(code=exc.code, message=exc.message, details=exc.details),
            status=exc.http_status,
        )
    if getattr(context.get("request"), "axes_locked_out", False):
        # django-axes refused a locked-out account or address on the token endpoint; Django's
        # authenticate() turned that into "no such user", so say it as the sign-in page does.
        return locked_out_response(context)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        details = flat_field_errors(detail)
        message = "The request is not valid."
        code = "invalid"
    elif isinstance(exc, exceptions.Throttled):
        # The same number as the Retry-After header DRF sets, for clients that read JSON.
        wait = getattr(exc, "wait", None)
        details = {"retry_after_s": wait} if wait is not None else {}
        message = str(exc.detail)
        code = "throttled"
    else:
        details = {}
        message = str(exc.detail)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else str(exc.default_code)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        code = "not_authenticated"
    response.data = error_body(code=str(code), message=message, details=details)
    return response


def flat_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Return DRF's nested field errors as one level: `readings[3].start` -> messages.

    A list of nested serializers reports one entry per element, empty for valid ones; the
    flat form names only the elements and fields at fault.
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(flat_field_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and detail and all(isinstance(d, dict | list) for d in detail):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(flat_field_errors(value, f"{prefix}[{index}]"))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def locked_out_response(context: dict[str, Any]) -> Response:
    """Return the 429 of a sign-in django-axes refused, in the one error shape."""
    answer = error_pages.locked_out(context["request"], None)
    response = Response(json.loads(answer.content), status=answer.status_code)
    response["Retry-After"] = answer["Retry-After"]
    return response
