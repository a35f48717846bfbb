"""Writing a program's settlement settings: what is flagged, two approvers, when to settle."""

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from accounts import program_settings
from accounts.models import Program, ProgramSettingsChange, User
from settlement.outcomes import Outcome
from settlement.statements.models import ProgramSettlementSettings


@dataclass(frozen=True)
class Thresholds:
    """The review thresholds a program administrator sets."""

    review_cap: Decimal
    two_approver_amount: Decimal
    change_factor: Decimal
    data_quality_share: Decimal
    settle_after_days: int = 3


def save_thresholds(
    *, program: Program, thresholds: Thresholds, changed_by: User, now: dt.datetime
) -> tuple[ProgramSettlementSettings, Outcome]:
    """Return the program's review thresholds set to `thresholds`, audited.

    Raises NotProgramAdministrator, or SettingsInvalid (a cap or amount not above zero, a
    share outside 0..1, a change factor below 1).
    """
    problems: dict[str, list[str]] = {}
    if thresholds.review_cap <= 0:
        problems["review_cap"] = ["must be above zero"]
    if thresholds.two_approver_amount <= 0:
        problems["two_approver_amount"] = ["must be above zero"]
    if thresholds.change_factor < 1:
        problems["change_factor"] = ["must be at least 1"]
    if not 0 <= thresholds.settle_after_days <= 28:
        problems["settle_after_days"] = ["must be between 0 and 28"]
    if not Decimal(0) <= thresholds.data_quality_share <= 1:
        problems["data_quality_share"] = ["must be between 0 and 1"]
    return program_settings.save_section(
        program=program,
        section=ProgramSettingsChange.Section.SETTLEMENT,
        model=ProgramSettlementSettings,
        values=asdict(thresholds),
        problems=problems,
        changed_by=changed_by,
        now=now,
    )
