from decimal import Decimal

from settlement.rating import money


def test_half_a_cent_rounds_up_away_from_zero():
    assert money.round_to_cents(Decimal("0.125")) == Decimal("0.13")
    assert money.round_to_cents(Decimal("-0.125")) == Decimal("-0.13")
    assert money.round_to_cents(Decimal("0.12499")) == Decimal("0.12")


def test_to_cents_rounds_first_then_counts_cents():
    assert money.to_cents(Decimal("12.345")) == 1235
    assert money.to_cents(Decimal("-0.005")) == -1
    assert money.to_cents(Decimal("7")) == 700
