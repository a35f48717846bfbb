"""Writes for aggregators: the API users whose tokens post readings for them."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User
from settlement.errors import DomainError
from settlement.metering.models import Aggregator


class ApiUserRefused(DomainError):
    """The address cannot be an aggregator's API user."""

    code = "api_user_refused"
    http_status = 409


@dataclass(frozen=True)
class ApiUser:
    """An aggregator's API user and the token its client sends."""

    user: User
    token: str
    created: bool


def check_api_user(*, aggregator: Aggregator, email: str) -> None:
    """Raise ApiUserRefused unless `email` may become (or is) `aggregator`'s API user.

    A staff account never is (its token would carry staff rights), nor is a member of a
    participant, nor a user of another aggregator (a token writes for exactly one).
    """
    user = User.objects.filter(email=email.lower()).first()
    if user is None:
        return
    if user.is_staff:
        raise ApiUserRefused(f"{user.email} is a staff account", details={"field": "email"})
    if user.memberships.exists():
        raise ApiUserRefused(
            f"{user.email} signs in for a participant; use an address of the aggregator's own",
            details={"field": "email"},
        )
    other = user.aggregators.exclude(pk=aggregator.pk).first()
    if other is not None:
        raise ApiUserRefused(
            f"{user.email} is already the API user of {other.name}", details={"field": "email"}
        )


def add_api_user(
    *, aggregator: Aggregator, email: str, full_name: str = "", now: dt.datetime
) -> ApiUser:
    """Return the aggregator's API user for `email` with its token, created when missing.

    The user has no password: the client authenticates with the token only. Raises
    ApiUserRefused (see `check_api_user`).
    """
    check_api_user(aggregator=aggregator, email=email)
    with transaction.atomic():
        user = User.objects.filter(email=email.lower()).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(email, full_name=full_name, date_joined=now)
        aggregator.users.add(user)
        token, _ = Token.objects.get_or_create(user=user)
    return ApiUser(user=user, token=token.key, created=created)
