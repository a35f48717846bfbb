"""The one base class for errors the domain raises on purpose."""

from typing import ClassVar


class DomainError(Exception):
    """A rule of the domain refused an operation; carries a stable code and an HTTP status.

    Subclasses live beside the code that raises them and set `code` and `http_status`;
    the API exception handler is the one place that turns them into responses.
    """

    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


def error_body(*, code: str, message: str, details: object = None) -> dict[str, object]:
    """Return the one error envelope of the API and of every command's JSON output."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    code = "permission_denied"
    http_status = 403
