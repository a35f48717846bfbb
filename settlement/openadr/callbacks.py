"""Callback URLs: only those under an allowed prefix (no requests to arbitrary hosts), and
only those that answer the registration challenge."""

import secrets
from urllib.parse import urlsplit

import requests
from django.conf import settings


def allowed(url: str) -> bool:
    """Return whether `url` is under one of `OPENADR_CALLBACK_ALLOWED_PREFIXES`.

    Scheme, host and port must equal the prefix's and the path must start with its path, so
    `https://ven.example.com.attacker.net/` never passes for `https://ven.example.com/`.
    With no prefixes configured every callback is refused (the safe default: a VTN that
    posts wherever a client says can be made to reach its own network).
    """
    try:
        target = urlsplit(url)
        target_port = target.port
    except ValueError:
        return False
    if target.scheme not in ("http", "https") or not target.hostname or target.username:
        return False
    for prefix in settings.OPENADR_CALLBACK_ALLOWED_PREFIXES:
        allowed_url = urlsplit(prefix)
        if (
            target.scheme == allowed_url.scheme
            and target.hostname == allowed_url.hostname
            and target_port == allowed_url.port
            and target.path.startswith(allowed_url.path or "/")
        ):
            return True
    return False


def answers_challenge(url: str) -> bool:
    """Return whether the callback at `url` answers the spec's registration challenge.

    The VTN GETs the URL with a random `echo` query parameter; the callback must answer 200
    with that value in its body (as text, or as a JSON string). Redirects are not followed
    (they could lead outside the allow-list); an unreachable callback fails the challenge.
    """
    value = secrets.token_urlsafe(24)
    try:
        answer = requests.get(
            url,
            params={"echo": value},
            timeout=float(settings.OPENADR_WEBHOOK_TIMEOUT_SECONDS),
            allow_redirects=False,
        )
    except requests.RequestException:
        return False
    body = answer.text.strip().strip('"')
    return answer.status_code == 200 and body == value
