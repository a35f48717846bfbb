"""Property tests for the one rounding point of energy values: exact, half-even, bounded."""

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.metering.formats import energy
from settlement.metering.formats.base import MAX_ABS_WH


@given(
    st.decimals(
        min_value=Decimal("-1000000000"),
        max_value=Decimal("1000000000"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_kwh_text_becomes_the_half_even_rounded_exact_wh(kwh):
    expected = int((kwh * 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

    assert energy.text_to_wh(str(kwh), power_of_ten=3) == expected


@given(st.integers(min_value=-MAX_ABS_WH, max_value=MAX_ABS_WH))
def test_every_plausible_integer_wh_passes_unchanged(wh):
    assert energy.text_to_wh(str(wh), power_of_ten=0) == wh


@pytest.mark.parametrize("text", ["1e16", "-1e16", "1e999999999", "9" * 5000])
def test_implausible_magnitudes_raise(text):
    with pytest.raises(energy.EnergyValueError):
        energy.text_to_wh(text, power_of_ten=0)


def test_tiny_magnitudes_round_to_zero_without_decimal_traps():
    assert energy.text_to_wh("1e-999999999", power_of_ten=3) == 0
