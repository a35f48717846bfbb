"""Checks a serving process makes before it accepts its first request."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Raise ImproperlyConfigured unless a SECRET_KEY is set (or DEBUG supplies one)."""
    try:
        settings.SECRET_KEY  # noqa: B018 - Django validates the key when it is read
    except ImproperlyConfigured as error:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: the web process signs sessions and "
            "password-reset links with it."
        ) from error
