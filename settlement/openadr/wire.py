"""OpenADR 3.1.0 JSON on the wire: exact decimals, times with offsets, ISO 8601 durations.

Bodies are read with every JSON number as a Decimal (never a float) and written back with
each Decimal's own digits, so a price survives the trip exactly.
"""

import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from settlement.openadr import problems

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def loads(body: bytes) -> object:
    """Return the decoded JSON body, numbers with a fraction or exponent as Decimal.

    Raises a 400 problem for a body that is not JSON (or nested beyond what Python decodes).
    """
    try:
        return json.loads(body or b"null", parse_float=Decimal)
    except (ValueError, RecursionError):
        raise problems.bad_request("the body is not valid JSON") from None


def dumps(document: object) -> str:
    """Return `document` as JSON, each Decimal written as a number with its exact digits."""
    # json cannot write a Decimal as a number; a marker string unique to this call stands in
    # for it and is replaced by the digits afterwards (a body cannot contain the marker).
    marker = secrets.token_hex(8)

    def default(value: object) -> str:
        if isinstance(value, Decimal):
            return f"{marker}{number_text(value)}{marker}"
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    text = json.dumps(document, default=default)
    return re.sub(f'"{marker}([-0-9.E+]+){marker}"', r"\1", text)


def number_text(value: Decimal) -> str:
    """Return the plain digits of `value` without trailing zeros (`2.50000` -> `2.5`)."""
    return f"{value.normalize():f}"


def instant(value: datetime) -> str:
    """Return an aware datetime as ISO 8601 in UTC with its offset."""
    return value.astimezone(UTC).isoformat()


def duration(value: timedelta) -> str:
    """Return a duration as ISO 8601 (`PT3H`, `PT15M`, `PT90S`)."""
    seconds = int(value.total_seconds())
    if seconds % 3600 == 0:
        return f"PT{seconds // 3600}H"
    if seconds % 60 == 0:
        return f"PT{seconds // 60}M"
    return f"PT{seconds}S"


def parse_instant(value: object, *, field: str) -> datetime:
    """Return the aware UTC datetime of an ISO 8601 string with an offset (400 otherwise)."""
    if not isinstance(value, str):
        raise problems.bad_request(f"{field}: a date-time string is required")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise problems.bad_request(f"{field}: {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise problems.bad_request(f"{field}: {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def parse_duration(value: object, *, field: str) -> timedelta:
    """Return the timedelta of an ISO 8601 duration in weeks, days, hours, minutes, seconds.

    Years and months have no fixed length, so they are refused (400 naming `field`).
    """
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None or value in ("P", "PT"):
        raise problems.bad_request(
            f"{field}: {value!r} is not an ISO 8601 duration in W, D, H, M or S"
        )
    parts = {name: int(text) for name, text in found.groupdict().items() if text and name != "sign"}
    span = timedelta(
        weeks=parts.get("weeks", 0),
        days=parts.get("days", 0),
        hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0),
        seconds=parts.get("seconds", 0),
    )
    return -span if found.group("sign") else span


def mapping(value: object, *, field: str) -> dict[str, Any]:
    """Return `value` as a JSON object (400 naming `field` otherwise)."""
    if not isinstance(value, dict):
        raise problems.bad_request(f"{field}: an object is required")
    return value


def array(value: object, *, field: str, optional: bool = False) -> list[Any]:
    """Return `value` as a JSON array; None (or absent) is [] when `optional`."""
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise problems.bad_request(f"{field}: an array is required")
    return value


def text(value: object, *, field: str, optional: bool = False, max_length: int = 128) -> str:
    """Return `value` as a string of 1 to `max_length` characters; None is "" when optional."""
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise problems.bad_request(f"{field}: a string of 1 to {max_length} characters is required")
    return value


def number(value: object, *, field: str) -> Decimal:
    """Return a JSON number as a Decimal (a boolean is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise problems.bad_request(f"{field}: a number is required")
    return Decimal(value)


def non_negative_int(value: object, *, field: str, optional: bool = False) -> int | None:
    """Return a JSON integer >= 0; None when absent and `optional`."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise problems.bad_request(f"{field}: an integer of 0 or more is required")
    return value
