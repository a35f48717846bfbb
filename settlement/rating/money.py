"""The one rounding rule for money: half-up to whole cents, once per statement line."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_to_cents(amount: Decimal) -> Decimal:
    """Return `amount` rounded half-up to cents (0.125 -> 0.13, -0.125 -> -0.13)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """Return `amount` as integer cents, after rounding it half-up to cents."""
    return int(round_to_cents(amount).scaleb(2))
