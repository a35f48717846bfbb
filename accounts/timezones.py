"""IANA time zone validation, shared by sites and programs."""

import zoneinfo

from django.core.exceptions import ValidationError


def is_valid_timezone(name: str) -> bool:
    """Return whether `name` is an IANA zone known to this machine's tz database."""
    # A fixed offset such as "UTC-08:00" would shift every summer peak by an hour.
    if not name or name != name.strip():
        return False
    return name in zoneinfo.available_timezones()


def validate_timezone(name: str) -> None:
    """Raise ValidationError unless `name` is an IANA time zone."""
    if not is_valid_timezone(name):
        raise ValidationError(f"{name!r} is not an IANA time zone (e.g. America/Los_Angeles).")
