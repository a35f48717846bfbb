"""The base of every VTN endpoint: bearer tokens, scopes, paging, JSON in and out, problems."""

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from settlement.errors import DomainError
from settlement.openadr import credentials, problems, wire

# The spec's paging: `limit` at most 50 objects, `skip` from the start.
MAX_LIMIT = 50
_M = TypeVar("_M", bound=Model)


def json_response(document: object, *, status: int = 200) -> HttpResponse:
    """Return `document` as an `application/json` response."""
    return HttpResponse(wire.dumps(document), status=status, content_type="application/json")


def require(grant: credentials.Grant, *any_of: str) -> None:
    """Raise a 403 problem unless the token holds one of the scopes `any_of`."""
    if not grant.scopes.intersection(any_of):
        raise problems.forbidden(f"this operation needs the scope {' or '.join(any_of)}")


def _int_param(request: HttpRequest, name: str, *, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise problems.bad_request(f"{name}: an integer of 0 or more is required")
    return int(raw)


def page(request: HttpRequest, objects: QuerySet[_M]) -> list[_M]:
    """Return the page of `objects` that `skip` and `limit` ask for (limit 0 to 50)."""
    skip = _int_param(request, "skip", default=0)
    limit = _int_param(request, "limit", default=MAX_LIMIT)
    if limit > MAX_LIMIT:
        raise problems.bad_request(f"limit: at most {MAX_LIMIT}")
    return list(objects[skip : skip + limit])


def page_of(request: HttpRequest, objects: Sequence[Any]) -> list[Any]:
    """Return the page of a list already in memory (the same parameters as `page`)."""
    skip = _int_param(request, "skip", default=0)
    limit = _int_param(request, "limit", default=MAX_LIMIT)
    if limit > MAX_LIMIT:
        raise problems.bad_request(f"limit: at most {MAX_LIMIT}")
    return list(objects[skip : skip + limit])


def targets_param(request: HttpRequest) -> list[str]:
    """Return the `targets` query values (several allowed; an object must have them all)."""
    return [value for value in request.GET.getlist("targets") if value]


def domain_problem(error: DomainError) -> problems.Problem:
    """Return the problem that says what a domain rule refused, with its code and details."""
    return problems.Problem(
        status=error.http_status,
        title=HTTPStatus(error.http_status).phrase,
        detail=error.message,
        extra={"code": error.code, "details": error.details},
    )


@method_decorator(csrf_exempt, name="dispatch")
class Endpoint(View):
    """A VTN endpoint: authenticates the bearer token (unless `public`) and answers every
    error, including an unknown method, as a problem."""

    public: ClassVar[bool] = False
    grant: credentials.Grant

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Return the handler's response, or the problem that stopped it."""
        try:
            method = (request.method or "").lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            if handler is None or method == "options":
                allowed = ", ".join(
                    name.upper()
                    for name in self.http_method_names
                    if name != "options" and hasattr(self, name)
                )
                raise problems.Problem(
                    status=405,
                    title="Method Not Allowed",
                    detail=f"{request.method} is not allowed here",
                    headers={"Allow": allowed},
                )
            if not self.public:
                self.grant = self._authenticate(request)
            response: HttpResponse = handler(request, *args, **kwargs)
        except problems.Problem as problem:
            return problems.response(problem, instance=request.path)
        except DomainError as error:
            return problems.response(domain_problem(error), instance=request.path)
        return response

    def _authenticate(self, request: HttpRequest) -> credentials.Grant:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise problems.Problem(
                status=401,
                title="Unauthorized",
                detail="a bearer token is required (see auth/server)",
                headers={"WWW-Authenticate": 'Bearer realm="openadr"'},
            )
        grant = credentials.grant_for(token=token.strip(), now=timezone.now())
        if grant is None:
            raise problems.Problem(
                status=401,
                title="Unauthorized",
                detail="the bearer token is unknown or has expired",
                headers={"WWW-Authenticate": 'Bearer realm="openadr", error="invalid_token"'},
            )
        return grant

    def body(self, request: HttpRequest) -> dict[str, Any]:
        """Return the request's JSON object (400 problem for anything else)."""
        return wire.mapping(wire.loads(request.body), field="body")
