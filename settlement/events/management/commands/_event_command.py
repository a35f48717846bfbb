"""What the event commands share: parsing times and decimals, and the one error shape."""

import json
import sys
from argparse import ArgumentTypeError
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from django.core.management.base import OutputWrapper

from settlement.errors import DomainError

KINDS = ("emergency", "economic", "test")


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


def fail(stdout: OutputWrapper, error: DomainError) -> NoReturn:
    """Print the error in the one error shape and exit with status 2."""
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    stdout.write(json.dumps(body))
    sys.exit(2)
