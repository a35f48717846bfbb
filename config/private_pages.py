"""Middleware: what a signed-in user is shown is theirs alone, so no cache keeps it.

Portal and staff pages show statements, payouts and bank state; a shared proxy cache or the
back button of a shared computer must not serve them to the next person. The sign-in page
set this itself; every answer to a signed-in user (session or token) now does.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivatePages:
    """Add `Cache-Control: private, no-store` to every answer to a signed-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, private=True, no_store=True)
        return response
