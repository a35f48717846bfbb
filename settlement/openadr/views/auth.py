"""`auth/server` (where to get tokens) and the OAuth2 client-credentials token endpoint."""

import base64
import binascii
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from settlement.openadr import credentials, problems
from settlement.openadr.http import Endpoint, json_response


class AuthServer(Endpoint):
    """GET: the absolute token URL (built from SITE_URL), read without a token."""

    public = True

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return `{"tokenURL": ...}`."""
        token_url = settings.SITE_URL.rstrip("/") + reverse("openadr:token")
        return json_response({"tokenURL": token_url})


def _oauth_problem(error: str, *, status: int, detail: str) -> problems.Problem:
    # RFC 6749 section 5.2 fields beside the problem's: OAuth client libraries read `error`.
    headers = {"WWW-Authenticate": 'Basic realm="openadr"'} if status == 401 else {}
    return problems.Problem(
        status=status,
        title="Unauthorized" if status == 401 else "Bad Request",
        detail=detail,
        headers={**headers, "Cache-Control": "no-store"},
        extra={"error": error, "error_description": detail},
    )


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise _oauth_problem(
                "invalid_client", status=401, detail="the Basic credentials are not base64"
            ) from None
        client_id, _, secret = decoded.partition(":")
        # RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
        return unquote_plus(client_id), unquote_plus(secret)
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


class Token(Endpoint):
    """POST `grant_type=client_credentials`: a bearer token for the client's credentials,
    authenticated by HTTP Basic or by `client_id`/`client_secret` form fields."""

    public = True

    def post(self, request: HttpRequest) -> HttpResponse:
        """Return `access_token`, `token_type`, `expires_in` and `scope`."""
        if request.POST.get("grant_type") != "client_credentials":
            raise _oauth_problem(
                "unsupported_grant_type",
                status=400,
                detail="grant_type: only client_credentials is supported",
            )
        client_id, secret = _client_credentials(request)
        requested = request.POST.get("scope", "").split()
        try:
            issued = credentials.issue_token(
                client_id=client_id,
                client_secret=secret,
                requested=requested or None,
                now=timezone.now(),
            )
        except credentials.InvalidClient as error:
            raise _oauth_problem("invalid_client", status=401, detail=error.message) from None
        except credentials.InvalidScope as error:
            raise _oauth_problem("invalid_scope", status=400, detail=error.message) from None
        answer = json_response(
            {
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": " ".join(issued.scopes),
            }
        )
        answer["Cache-Control"] = "no-store"
        return answer
