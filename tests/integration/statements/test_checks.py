"""The automatic checks that send a statement to review."""

from decimal import Decimal

import pytest

from settlement.statements.lines.computation import ComputedLine, ComputedStatement, DataQuality
from settlement.statements.models import ProgramSettlementSettings
from settlement.statements.review import checks

SETTINGS = ProgramSettlementSettings(
    review_cap=Decimal("100.00"),
    change_factor=Decimal("2.00"),
    data_quality_share=Decimal("0.100"),
    two_approver_amount=Decimal("500.00"),
)
DAY = 86_400


def _flags(total, previous=None, **quality):
    computed = ComputedStatement(1, [], DataQuality(active_s=10 * DAY, **quality), [])
    return checks.flags_for(
        computed=computed, total=Decimal(total), settings=SETTINGS, previous_average=previous
    )


@pytest.mark.parametrize(
    ("total", "previous", "quality", "expected"),
    [
        ("50.00", None, {}, []),
        ("-0.01", None, {}, ["negative_total"]),
        ("100.01", None, {}, ["above_cap"]),
        ("100.00", None, {}, []),
        # Against an average of 20.00 over earlier periods, with a factor of 2.
        ("40.00", Decimal("20.00"), {}, []),
        ("40.01", Decimal("20.00"), {}, ["changed_vs_previous"]),
        ("9.99", Decimal("20.00"), {}, ["changed_vs_previous"]),
        # One of ten days missing is exactly the 10% allowed; a second more is not.
        ("50.00", None, {"missing_s": DAY}, []),
        ("50.00", None, {"missing_s": DAY, "estimated_s": 1}, ["data_quality"]),
        ("50.00", None, {"self_reported": True}, ["self_reported_data"]),
    ],
)
def test_flags(total, previous, quality, expected):
    assert _flags(total, previous, **quality) == expected


def _line(kind: str, amount: str) -> ComputedLine:
    return ComputedLine(
        kind=kind, label=kind, match_key=kind, kwh=Decimal(0), price=None, amount=Decimal(amount)
    )


def test_a_negative_line_sends_a_positive_statement_to_review():
    # Exports pay $12.00; an accepted offer's shortfall charge ($4.50) exceeds its pay
    # ($1.50): the event line is -$3.00, the total +$9.00. Positive, but someone must look.
    lines = [_line("EXPORT_ENERGY", "12.00"), _line("ACCEPTED_OFFER", "-3.00")]
    computed = ComputedStatement(1, lines, DataQuality(active_s=10 * DAY), [])

    flags = checks.flags_for(
        computed=computed, total=Decimal("9.00"), settings=SETTINGS, previous_average=None
    )

    assert flags == ["negative_line"]
    assert checks.FLAG_LABELS["negative_line"] == "A line with a negative amount"


def test_a_tariff_fee_or_cap_is_not_a_negative_line():
    # A daily metering fee (-$3.10 for 31 days) and a maximum-total cap are negative by
    # design: the tariff charges them, nothing went wrong.
    lines = [
        _line("EXPORT_ENERGY", "60.00"),
        _line("FIXED", "-3.10"),
        _line("BOUND", "-6.90"),
    ]
    computed = ComputedStatement(1, lines, DataQuality(active_s=10 * DAY), [])

    flags = checks.flags_for(
        computed=computed, total=Decimal("50.00"), settings=SETTINGS, previous_average=None
    )

    assert flags == []
