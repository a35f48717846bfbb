"""What every page's navigation shows: the signed-in person's unread notifications."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts import signed_in
from settlement.notices import queries


def notices(request: HttpRequest) -> dict[str, object]:
    """Return `unread_notifications`, counted only if a page shows it (one query)."""
    if not request.user.is_authenticated:
        return {}
    user = signed_in.signed_in_user(request)
    return {"unread_notifications": SimpleLazyObject(lambda: queries.unread_count(user=user))}
