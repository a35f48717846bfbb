"""`local_time`: an instant shown as local wall-clock time with its zone named."""

import datetime as dt
from zoneinfo import ZoneInfo

from django import template

register = template.Library()


@register.filter
def local_time(value: dt.datetime | str | None, zone: str | None) -> str:
    """Return e.g. "2025-07-01 17:00 PDT (America/Los_Angeles)"; UTC when no zone is known.

    Accepts an aware datetime or its ISO-8601 text (as stored in upload summaries).
    """
    if value is None or value == "":
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if not zone or zone == "UTC":
        return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone})"
