"""Return exact integer Wh from decimal energy values, rounding half-even at one point."""

from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

from settlement.metering.formats.base import MAX_ABS_WH

# Wide enough that scaling a bounded value by a power of ten is exact before the one rounding.
_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)
_MAX_DIGITS = len(str(MAX_ABS_WH))


class EnergyValueError(ValueError):
    """The value is not a finite, plausible energy quantity; the message says why."""


def parse_decimal(text: str) -> Decimal:
    """Return the finite Decimal written in `text`; raise EnergyValueError otherwise."""
    # ASCII only: Decimal() also reads Arabic-Indic digits and "1_000", which no meter wrote.
    if not text.isascii() or "_" in text:
        raise EnergyValueError(f"{_shorten(text)!r} is not a number (ASCII digits)")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise EnergyValueError(f"{_shorten(text)!r} is not a number") from None
    if not value.is_finite():
        raise EnergyValueError(f"{_shorten(text)!r} is not a finite number")
    return value


def to_wh(value: Decimal, *, power_of_ten: int) -> int:
    """Return `value x 10^power_of_ten` as integer Wh, rounded half-even to the Wh.

    Raises EnergyValueError for a non-finite value or one beyond MAX_ABS_WH.
    """
    if not value.is_finite():
        raise EnergyValueError(f"{value} is not a finite number")
    if value.is_zero():
        return 0
    magnitude = value.adjusted() + power_of_ten
    # Decided on the exponent before any arithmetic, so a hostile 1e999999999 never
    # reaches the decimal context's limits.
    if magnitude >= _MAX_DIGITS:
        raise EnergyValueError(f"{value}E{power_of_ten} Wh is beyond the plausible {MAX_ABS_WH} Wh")
    if magnitude < -2:
        return 0
    wh = int(value.scaleb(power_of_ten, context=_EXACT).to_integral_value(ROUND_HALF_EVEN))
    if abs(wh) > MAX_ABS_WH:
        raise EnergyValueError(f"{wh} Wh is beyond the plausible {MAX_ABS_WH} Wh")
    return wh


def text_to_wh(text: str, *, power_of_ten: int) -> int:
    """Return the energy written in `text` (in units of 10^power_of_ten Wh) as integer Wh."""
    return to_wh(parse_decimal(text), power_of_ten=power_of_ten)


def _shorten(text: str) -> str:
    """Return text cut to a length fit for an error message."""
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
