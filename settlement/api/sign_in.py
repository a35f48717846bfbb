"""Exchange email and password for an API token, throttled per account and per address."""

import hashlib
from typing import Any

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class SignInAddressThrottle(SimpleRateThrottle):
    """Token requests from one client address (rate `sign_in_address`)."""

    scope = "sign_in_address"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignInAccountThrottle(SimpleRateThrottle):
    """Token requests naming one account, from anywhere (rate `sign_in_account`)."""

    scope = "sign_in_account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None  # nothing to guess a password for; the address throttle still counts
        # Emails are case-insensitive here: `Ana@X` and `ana@x` are one account to guess. The
        # key holds a digest, not the name: a name is any text the caller sends (spaces,
        # control characters, kilobytes), and a cache key must stay short and plain.
        account = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": account}


class TokenView(ObtainAuthToken):
    """Return the token of the account whose email (`username`) and password are given."""

    throttle_classes = (SignInAddressThrottle, SignInAccountThrottle)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """Return {"token": ...}; 400 for wrong credentials, 429 when throttled."""
        return super().post(request, *args, **kwargs)
