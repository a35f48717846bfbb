"""The one error shape of the VTN: an RFC 7807 `problem` (openadr3.yaml `problem`)."""

import json

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """A request the VTN refuses, answered as `application/problem+json`.

    `detail` names the field at fault where there is one (`intervals[0].payloads`).
    """

    def __init__(
        self,
        *,
        status: int,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}


def bad_request(detail: str) -> Problem:
    """Return the 400 problem for a body or parameter the VTN cannot accept."""
    return Problem(status=400, title="Bad Request", detail=detail)


def not_found(detail: str) -> Problem:
    """Return the 404 problem: missing, or not visible to the caller (the same answer)."""
    return Problem(status=404, title="Not Found", detail=detail)


def forbidden(detail: str) -> Problem:
    """Return the 403 problem: the token lacks a scope the operation needs."""
    return Problem(status=403, title="Forbidden", detail=detail)


def response(problem: Problem, *, instance: str) -> HttpResponse:
    """Return the HTTP response of `problem` for the request path `instance`."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
        **problem.extra,
    }
    answer = HttpResponse(json.dumps(body), status=problem.status, content_type=CONTENT_TYPE)
    for name, value in problem.headers.items():
        answer[name] = value
    return answer
