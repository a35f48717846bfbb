"""OpenADR clients' credentials and the bearer tokens issued for them (stored hashed)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import hashers
from django.db import IntegrityError, transaction

from settlement.errors import DomainError
from settlement.metering.models import Aggregator
from settlement.openadr import scopes
from settlement.openadr.models import AccessToken, OpenADRClient


class ClientRefused(DomainError):
    """A client cannot be made as asked (name taken, a VEN without an aggregator)."""

    code = "openadr_client_refused"


class InvalidClient(DomainError):
    """Unknown client id, wrong secret, or a client switched off (RFC 6749 invalid_client)."""

    code = "invalid_client"
    http_status = 401


class InvalidScope(DomainError):
    """A scope asked for is unknown or not granted to this client (invalid_scope)."""

    code = "invalid_scope"


@dataclass(frozen=True)
class NewClient:
    """A client just made, with its secret in clear: the only time it is known."""

    client: OpenADRClient
    client_secret: str


@dataclass(frozen=True)
class IssuedToken:
    """A token as the token endpoint returns it."""

    access_token: str
    expires_in: int
    scopes: list[str]


@dataclass(frozen=True)
class Grant:
    """Who a bearer token speaks for, and what it may do."""

    client: OpenADRClient
    scopes: frozenset[str]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_client(
    *, name: str, role: str, aggregator: Aggregator | None, now: datetime
) -> NewClient:
    """Return a new client with the default scopes of its role and a fresh secret.

    Raises ClientRefused for an unknown role, a VEN without an aggregator, or a name taken.
    """
    if role not in scopes.DEFAULTS:
        raise ClientRefused(
            f"role must be one of {', '.join(scopes.DEFAULTS)}", details={"field": "role"}
        )
    if role == OpenADRClient.Role.VEN and aggregator is None:
        raise ClientRefused("a VEN client needs an aggregator", details={"field": "aggregator"})
    secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            client = OpenADRClient.objects.create(
                name=name,
                role=role,
                client_id=f"oadr-{secrets.token_hex(12)}",
                secret_hash=hashers.make_password(secret),
                scopes=list(scopes.DEFAULTS[role]),
                aggregator=aggregator if role == OpenADRClient.Role.VEN else None,
                created_at=now,
            )
    except IntegrityError:
        raise ClientRefused(
            f"a client named {name!r} already exists", details={"field": "name"}
        ) from None
    return NewClient(client=client, client_secret=secret)


def issue_token(
    *, client_id: str, client_secret: str, requested: list[str] | None, now: datetime
) -> IssuedToken:
    """Return a new bearer token for the client's credentials.

    Without `requested` the token gets every scope of the client. Raises InvalidClient or
    InvalidScope (a scope unknown, or not one of the client's).
    """
    client = OpenADRClient.objects.filter(client_id=client_id, is_active=True).first()
    if client is None or not hashers.check_password(client_secret, client.secret_hash):
        raise InvalidClient("the client id or secret is not valid")
    granted = requested if requested else list(client.scopes)
    refused = [scope for scope in granted if scope not in client.scopes]
    if refused:
        raise InvalidScope(
            f"scope {' '.join(refused)} is not granted to this client",
            details={"field": "scope"},
        )
    token = secrets.token_urlsafe(32)
    lifetime = int(settings.OPENADR_TOKEN_SECONDS)
    AccessToken.objects.create(
        client=client,
        token_sha256=_sha256(token),
        scopes=granted,
        issued_at=now,
        expires_at=now + timedelta(seconds=lifetime),
    )
    return IssuedToken(access_token=token, expires_in=lifetime, scopes=granted)


def grant_for(*, token: str, now: datetime) -> Grant | None:
    """Return what a bearer token grants, or None when it is unknown or expired."""
    found = (
        AccessToken.objects.select_related("client", "client__aggregator")
        .filter(token_sha256=_sha256(token), expires_at__gt=now, client__is_active=True)
        .first()
    )
    if found is None:
        return None
    return Grant(client=found.client, scopes=frozenset(found.scopes))
