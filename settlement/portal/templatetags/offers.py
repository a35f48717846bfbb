"""Template filters of the offers pages."""

from decimal import Decimal

from django import template

from settlement.events import eligibility

register = template.Library()


@register.filter
def kw(value: Decimal | None) -> str:
    """Return kW without trailing zeros: "7.5 kW", "11.5 kW"; empty for none."""
    if value is None or value == "":
        return ""
    return f"{eligibility.kw_text(Decimal(value))} kW"


@register.filter
def kw_number(value: Decimal | None) -> str:
    """Return a kW figure for a form field: "7.5", "11.5"; empty for none."""
    if value is None or value == "":
        return ""
    return eligibility.kw_text(Decimal(value))
