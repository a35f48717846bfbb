"""What a signed Stripe event must look like before any handler reads it.

A signature proves who sent a body, not that its values are sane: a signed event with
`created` = 10**20, a negative amount or a one-letter currency reached the handlers and
failed there with a 500. Such an event is recorded FAILED with the reason and answered 400
(`webhooks.receive_event`); its money handling is never reached.
"""

import re
from typing import Any, Final

# Unix seconds Python can turn into a datetime (up to 9999-12-31T23:59:59Z).
LAST_CREATED: Final = 253_402_300_799
# Larger than any amount a transfer or bank payout can be, in the currency's minor unit.
LARGEST_AMOUNT: Final = 10**15
_CURRENCY = re.compile(r"[A-Za-z]{3}")
# The record's columns.
LONGEST_TYPE: Final = 100
LONGEST_ACCOUNT: Final = 64


def problem_of(event: dict[str, Any]) -> str | None:
    """Return why `event` is malformed (the first reason found), or None if it is not."""
    created = event.get("created")
    if type(created) is not int or not 0 <= created <= LAST_CREATED:
        return f"created must be Unix seconds from 0 to {LAST_CREATED}, not {created!r:.40}"
    kind = event.get("type")
    if not isinstance(kind, str) or not 0 < len(kind) <= LONGEST_TYPE:
        return f"type must be text of 1 to {LONGEST_TYPE} characters"
    account = event.get("account")
    if account is not None and (not isinstance(account, str) or len(account) > LONGEST_ACCOUNT):
        return f"account must be text of at most {LONGEST_ACCOUNT} characters"
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return "data.object must be an object"
    if "amount" in found:
        amount = found["amount"]
        if type(amount) is not int or not 0 <= amount <= LARGEST_AMOUNT:
            return f"data.object.amount must be a whole number from 0 to {LARGEST_AMOUNT}"
    if "currency" in found:
        currency = found["currency"]
        if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
            return f"data.object.currency must be a 3-letter ISO 4217 code, not {currency!r:.20}"
    return None
