"""Template filters for money, prices, energy, dates and times: `settlement.formatting`'s.

Templates never write "$": `{{ amount|money:currency }}` with the program's or the
statement's currency. Filters read the clock only to decide whether a year is shown.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

from settlement import formatting

register = template.Library()


def _decimal(value: Decimal | int | str) -> Decimal:
    # Amounts arrive as Decimal from models and as their exact text from query dicts.
    return value if isinstance(value, Decimal) else Decimal(value)


@register.filter
def money(value: Decimal | str | None, currency: str) -> str:
    """Return e.g. "$19.92"; empty for no amount."""
    if value is None or value == "":
        return ""
    return formatting.money(amount=_decimal(value), currency=currency)


@register.filter
def money_cents(value: int | None, currency: str) -> str:
    """Return integer cents as money, e.g. 1992 -> "$19.92"; empty for none."""
    if value is None:
        return ""
    return formatting.money_cents(cents=value, currency=currency)


@register.filter
def price(value: Decimal | str | None, currency: str) -> str:
    """Return e.g. "$0.30/kWh"; empty for no price."""
    if value is None or value == "":
        return ""
    return formatting.price(amount=_decimal(value), currency=currency)


@register.filter
def currency_symbol(currency: str) -> str:
    """Return the symbol a form's label names its unit with, e.g. "$" in "($/kWh)"."""
    return formatting.currency_symbol(currency)


@register.filter
def kwh(value: Decimal | str | int | None, places: int = 1) -> str:
    """Return e.g. "1,234.5 kWh"; empty for none."""
    if value is None or value == "":
        return ""
    return formatting.energy(kwh=_decimal(value), places=int(places))


@register.filter
def day(value: dt.date | None) -> str:
    """Return e.g. "Dec 7", with the year when it is not this year."""
    if value is None:
        return ""
    return formatting.day(value=value, today=timezone.localdate())


@register.filter
def month(value: dt.date | None) -> str:
    """Return e.g. "July 2025"."""
    return "" if value is None else formatting.month(value=value)


@register.filter
def local(value: dt.datetime | None, zone: str) -> str:
    """Return an instant in `zone` with the zone named, e.g. "Dec 7, 5:00 PM PST"."""
    if value is None:
        return ""
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    return formatting.local_time(moment=value, zone=zone, today=today)
