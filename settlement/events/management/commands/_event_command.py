"""What the event commands share: parsing times, decimals and kinds."""

from argparse import ArgumentTypeError
from datetime import datetime
from decimal import Decimal, InvalidOperation

from settlement.events import models

# Typed in lower case at the command line; the stored kinds are upper case.
KINDS = tuple(kind.lower() for kind in models.EventKind.values)


def instant(text: str) -> datetime:
    """Return an ISO 8601 time; without an offset it is read in the program's zone later."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None


def decimal(text: str) -> Decimal:
    """Return a decimal number given as text (never a float)."""
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ArgumentTypeError(f"{text!r} is not a decimal number") from None
