"""Who a failed sign-in counts against: the client's address behind trusted proxies, the
name it gave, and django-axes' rule for when they lock (docs/operations.md).

Behind the TLS proxy every client shares the proxy's address, so a lock on the address alone
let five wrong passwords for made-up names lock out every owner. Axes therefore counts
failures per (name, address) and per name alone; the name alone locks only after more tries
(`AXES_ACCOUNT_FAILURE_LIMIT`), so a guesser spreading tries over many addresses still
stops, while nobody can lock another person out from an address they share.
"""

import hashlib
from typing import Any

from axes.handlers.database import AxesDatabaseHandler  # type: ignore[import-untyped]
from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

# Longer names than an email can be are kept as a digest: the attempt's column holds 255
# characters, and a name is any text a client sends.
LONGEST_NAME = 254


def client_address(request: HttpRequest) -> str | None:
    """Return the client's address: the one DRF's throttles use (`NUM_PROXIES`).

    With `TRUSTED_PROXY_COUNT` = 0 (the default) that is REMOTE_ADDR and X-Forwarded-For is
    ignored, as anyone can write it; with N trusted proxies it is the N-th address from the
    right of X-Forwarded-For, the one the outermost trusted proxy saw. One function for both
    so that a lockout and a throttle never disagree about who a client is.
    """
    address = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    return address or None


def sign_in_name(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """Return the name a sign-in gave, as axes records it: stripped, lower-case.

    The page and the token endpoint pass it as `username` (Django's authenticate keyword),
    not as the user model's `email` field axes would read by default, which left every
    page failure recorded with no name at all (pooling failures for different emails).
    """
    given = (credentials or {}).get("username")
    if given is None:
        data = getattr(request, "data", None) or request.POST
        given = data.get("username") if hasattr(data, "get") else None
    if not isinstance(given, str) or not given.strip():
        return None
    name = given.strip().lower()
    if len(name) > LONGEST_NAME:
        return "sha256:" + hashlib.sha256(name.encode()).hexdigest()
    return name


class PairThenAccountHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits: the (name, address) pair, then the name alone.

    Axes compares one failure count against one limit (`AXES_FAILURE_LIMIT`). The count
    returned here is the pair's failures, or the name's failures scaled down to that limit,
    whichever is higher, so the pair locks at AXES_FAILURE_LIMIT and the name at
    AXES_ACCOUNT_FAILURE_LIMIT. Requires AXES_LOCKOUT_PARAMETERS to list the pair first and
    the name second; an address alone is never a lockout parameter.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """Return the failure count axes compares with AXES_FAILURE_LIMIT."""
        pair, account = (
            sum(attempts.values_list("failures_since_start", flat=True))
            for attempts in self.get_user_attempts(request, credentials)
        )
        if sign_in_name(request, credentials) is None:
            # No name: nothing to lock but the pair (an empty name from one address).
            return int(pair)
        scaled = account * settings.AXES_FAILURE_LIMIT // settings.AXES_ACCOUNT_FAILURE_LIMIT
        return int(max(pair, scaled))
