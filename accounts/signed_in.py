"""The one typed accessor for the user a request is signed in as, for pages and the API."""

from typing import Protocol

from django.core.exceptions import PermissionDenied

from accounts.models import User


class _Request(Protocol):
    """A Django or DRF request: both carry the user their authentication found."""

    @property
    def user(self) -> object: ...


def signed_in_user(request: _Request) -> User:
    """Return the signed-in user of a request its view's guard already let in.

    Raises PermissionDenied (403 on a page and in the API) for an anonymous request, which
    only a view without its sign-in guard lets through.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
