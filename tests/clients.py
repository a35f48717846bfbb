"""The one way tests sign a user in: a client for pages and the API alike."""

from rest_framework.test import APIClient

from accounts.models import User


def signed_in(user: User) -> APIClient:
    """Return a client with `user`'s session: it opens pages and calls the API (CSRF off)."""
    client = APIClient()
    client.force_login(user)
    return client
