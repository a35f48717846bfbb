"""The one rounding rule for money: half-up to whole cents, once per statement line."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_to_cents(amount: Decimal) -> Decimal:
    """Return `amount` rounded half-up to cents (0.125 -> 0.13, -0.125 -> -0.13)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """Return `amount` as integer cents, after rounding it half-up to cents."""
    return int(round_to_cents(amount).scaleb(2))


# The bounds of a money parameter (a program rule's amount, cap or price, a tariff's price or
# fixed item): what the ledger (integer cents), the statement columns (amounts 2 places,
# prices 5) and the rating core's Decimal context carry exactly, with room for every product
# a statement forms (10^4 $/kWh x 10^9 kWh stays inside a 14-digit amount column's reach only
# because real readings are bounded far below; the ceilings refuse the absurd, not the rare).
AMOUNT_PLACES = 2
PRICE_PLACES = 5
AMOUNT_CEILING = Decimal(1_000_000)
PRICE_CEILING = Decimal(10_000)


def bound_problem(value: Decimal, *, places: int, ceiling: Decimal) -> str | None:
    """Return why `value` cannot be a money parameter, or None when it can.

    It must be finite, below `ceiling` in magnitude, and have at most `places` decimal
    places (trailing zeros do not count: "2.000000" is 2.00). "1e999" is finite for Decimal
    (10^999) and so is refused by the ceiling, before any arithmetic could overflow.
    """
    if not value.is_finite():
        return f"must be a finite number, not {value}"
    if abs(value) >= ceiling:
        return f"must be below {ceiling} (dollars), not {value}"
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        return f"must have at most {places} decimal places, not {value}"
    return None
