"""Automatic checks that send a statement to review instead of the bulk-approvable pile."""

from decimal import Decimal

from settlement.statements.lines.computation import ComputedStatement
from settlement.statements.models import ProgramSettlementSettings

NEGATIVE_TOTAL = "negative_total"
NEGATIVE_LINE = "negative_line"
ABOVE_CAP = "above_cap"
CHANGED_VS_PREVIOUS = "changed_vs_previous"
DATA_QUALITY = "data_quality"
MISSING_DATA = "missing_data"
ESTIMATED_HELD = "estimated_held"
NOT_SETTLEABLE = "not_settleable"
SELF_REPORTED = "self_reported_data"
# Lines negative by design: a tariff's fees (fixed items) and its maximum-total cap.
_CHARGED_BY_TARIFF = frozenset({"FIXED", "BOUND"})

FLAG_LABELS = {
    NEGATIVE_TOTAL: "Negative total",
    NEGATIVE_LINE: "A line with a negative amount",
    ABOVE_CAP: "Above the program's review cap",
    CHANGED_VS_PREVIOUS: "Changed a lot against previous periods",
    DATA_QUALITY: "Much estimated or missing data",
    MISSING_DATA: "Missing data",
    ESTIMATED_HELD: "Estimated data held",
    NOT_SETTLEABLE: "Not settleable",
    SELF_REPORTED: "Data from the owner's own upload",
}


def flags_for(
    *,
    computed: ComputedStatement,
    total: Decimal,
    settings: ProgramSettlementSettings,
    previous_average: Decimal | None,
) -> list[str]:
    """Return the codes of every check the statement fails, in a fixed order.

    `previous_average` is the participant's average total over earlier settled periods of
    the program (None when there are none).
    """
    flags = []
    kinds = {line.kind for line in computed.lines}
    if total < 0:
        flags.append(NEGATIVE_TOTAL)
    # A line that should pay and charges instead (a shortfall charge above an event's pay)
    # needs a look even when other lines keep the total positive.
    if any(line.amount < 0 and line.kind not in _CHARGED_BY_TARIFF for line in computed.lines):
        flags.append(NEGATIVE_LINE)
    if total > settings.review_cap:
        flags.append(ABOVE_CAP)
    if previous_average is not None and previous_average > 0:
        factor = settings.change_factor
        if total > previous_average * factor or total * factor < previous_average:
            flags.append(CHANGED_VS_PREVIOUS)
    quality = computed.quality
    if quality.active_s and Decimal(quality.missing_s + quality.estimated_s) > (
        settings.data_quality_share * quality.active_s
    ):
        flags.append(DATA_QUALITY)
    if "MISSING_DATA" in kinds:
        flags.append(MISSING_DATA)
    if "HELD_ESTIMATED" in kinds:
        flags.append(ESTIMATED_HELD)
    if "NOT_SETTLEABLE" in kinds:
        flags.append(NOT_SETTLEABLE)
    if quality.self_reported:
        flags.append(SELF_REPORTED)
    return flags
