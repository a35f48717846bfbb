"""Demo data for settlement: July 2025 of both demo programs settled and partly approved.

The reviewer starts each run (so maker-checker lets the approver, not the reviewer,
approve); the approver approves the first owner's statement, which posts it to the ledger
and shows it in that owner's portal. In the export program the others stay in the review
queue, flagged for the days of July the demo has no readings for; in the event program each
statement pays the owner's accepted offers of the two July events (event incremental
energy against the baseline). The export program's approved statement is also released to
payouts (the payouts demo pays it); the event program's waits for release.
"""

import datetime as dt
from typing import Final

from accounts.models import Program, User
from settlement.statements import periods
from settlement.statements.models import SettlementRun, Statement
from settlement.statements.review import decisions
from settlement.statements.runs import operations

PERIOD: Final = "2025-07"
REVIEWER: Final = "reviewer@utility.example.com"
APPROVER: Final = "approver@utility.example.com"
APPROVED_OWNER: Final = "owner01@example.com"


def settle_demo_month(
    *,
    program_code: str,
    now: dt.datetime,
    reason: str = "Demo: the week of readings matches the meter; the rest of July is missing",
    release: bool = False,
) -> dict[str, object]:
    """Settle the program's July 2025 once and approve one statement (and release it, with
    `release`); return a summary."""
    program = Program.objects.get(code=program_code)
    period = periods.month(PERIOD, time_zone=program.timezone)
    run = SettlementRun.objects.filter(
        program=program, period_start=period.start, type="INITIAL", status="COMPLETED"
    ).first()
    if run is None:
        run = operations.settle_in_process(
            program=program,
            period=period,
            run_type="INITIAL",
            started_by=User.objects.get(email=REVIEWER),
            now=now,
        )
        statement = Statement.objects.filter(run=run, participant__email=APPROVED_OWNER).first()
        if statement is not None:
            approver = User.objects.get(email=APPROVER)
            decisions.approve(
                statement=statement,
                actor=approver,
                reason=reason,
                now=now,
            )
            if release:
                decisions.release(
                    statement=statement,
                    actor=approver,
                    reason="Demo: approved for July; released to the next payout",
                    now=now,
                )
    return {"run_id": run.pk, "statements": run.statements.count()}
