"""Statements, payouts and readings made by hand for the portal's pages and dashboard.

Shared by functional and browser tests (helpers live at the top of `tests/`). Statements
are written as a completed run would leave them, so a test states every line and total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Participant, Program, User
from settlement.payouts.models import Payout, PayoutMethod, PayoutStatement
from settlement.statements.models import SettlementRun, Statement, StatementLine
from tests.event_fixtures import add_hours, local_hour
from tests.factories import (
    ChannelFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    ProgramFactory,
    SiteFactory,
    UserFactory,
)

AT = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
LA = "America/Los_Angeles"


def statement(
    *,
    participant: Participant,
    program: Program,
    start: dt.date,
    end: dt.date,
    state: str,
    lines: list[tuple[str, str, str | None, str, str]],
    run_type: str = "INITIAL",
) -> Statement:
    """Return a statement of a completed run; lines are (kind, label, price, kWh, amount)."""
    # Participants share their program's run of a period, as a real run settles them all.
    run = SettlementRun.objects.filter(
        program=program, period_start=start, period_end=end, type=run_type
    ).first() or SettlementRun.objects.create(
        program=program,
        period_start=start,
        period_end=end,
        type=run_type,
        status="COMPLETED",
        sequence=SettlementRun.objects.filter(
            program=program, period_start=start, period_end=end
        ).count()
        + 1,
        started_at=AT,
        completed_at=AT,
    )
    total = sum((Decimal(amount) for *_, amount in lines), Decimal("0.00"))
    made = Statement.objects.create(
        run=run,
        participant=participant,
        currency=program.currency,
        state=state,
        total=total,
        content_sha256="0" * 64,
        created_at=AT,
        approved_at=AT if state in ("APPROVED", "RELEASED") else None,
    )
    StatementLine.objects.bulk_create(
        StatementLine(
            statement=made,
            number=number,
            kind=kind,
            label=label,
            price=None if price is None else Decimal(price),
            kwh=Decimal(kwh),
            amount=Decimal(amount),
        )
        for number, (kind, label, price, kwh, amount) in enumerate(lines, start=1)
    )
    return made


def paid_by_payout(*, statements: list[Statement], program: Program) -> Payout:
    """Return a PAID manual payout that paid `statements`."""
    cents = int(sum(s.total for s in statements) * 100)
    payout = Payout.objects.create(
        participant=statements[0].participant,
        program=program,
        method=PayoutMethod.MANUAL,
        amount_cents=cents,
        currency=program.currency,
        status=Payout.Status.PAID,
        created_at=AT,
        paid_at=AT,
        updated_at=AT,
    )
    PayoutStatement.objects.bulk_create(
        PayoutStatement(payout=payout, statement=paid) for paid in statements
    )
    return payout


def month_start(day: dt.date, back: int) -> dt.date:
    """Return the first day of the month `back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def owner_with_statements(*, email: str, today: dt.date, older_months: int = 0) -> OwnerHistory:
    """Return an owner (LA, USD) with the statements the module docstring of
    `tests/integration/payouts/test_dashboard.py` describes, relative to `today`:
    last month released 20.00 (200 kWh), the month before released and paid 30.00, three
    months back an approved correction of -2.50, four months back a draft of 99.00; plus
    `older_months` further released and paid months of 30.00 each (to grow the data)."""
    program = Program.objects.filter(code="nbt").first() or ProgramFactory(
        code="nbt", name="Export Credits", timezone=LA, currency="USD"
    )
    participant = ParticipantFactory(name="Ana Lopez", email=email)
    user = UserFactory(email=email)
    MembershipFactory(user=user, participant=participant)
    site = SiteFactory(participant=participant, timezone=LA)
    export = ChannelFactory(site=site, meter_id=f"RM-{participant.pk}", kind="SITE_EXPORT")
    EnrollmentFactory(
        participant=participant, site=site, program=program, starts_on=dt.date(2020, 1, 1)
    )

    def month(back: int, state: str, lines: list, run_type: str = "INITIAL") -> Statement:
        return statement(
            participant=participant,
            program=program,
            start=month_start(today, back),
            end=month_start(today, back - 1),
            state=state,
            lines=lines,
            run_type=run_type,
        )

    last = month(
        1,
        "RELEASED",
        [
            ("EXPORT_ENERGY", "Peak", "0.30000", "40.000", "12.00"),
            ("EXPORT_ENERGY", "Off-peak", "0.05000", "160.000", "8.00"),
        ],
    )
    paid = [month(2, "RELEASED", [("EXPORT_ENERGY", "Peak", "0.30000", "100.000", "30.00")])]
    correction = month(
        3,
        "APPROVED",
        [("ADJUSTMENT", "Corrected meter data", None, "-25.000", "-2.50")],
        run_type="RECALCULATION",
    )
    month(4, "DRAFT", [("EXPORT_ENERGY", "Peak", "0.30000", "330.000", "99.00")])
    paid += [
        month(back, "RELEASED", [("EXPORT_ENERGY", "Peak", "0.30000", "100.000", "30.00")])
        for back in range(5, 5 + older_months)
    ]
    paid_by_payout(statements=paid, program=program)
    days = 2 + older_months * 30
    add_hours(
        export,
        [
            (local_hour(today - dt.timedelta(days=day), hour), 500)
            for day in range(1, days + 1)
            for hour in range(10, 14)
        ],
    )
    return OwnerHistory(
        user=user, participant=participant, program=program, last=last, correction=correction
    )


@dataclass(frozen=True)
class OwnerHistory:
    """What `owner_with_statements` made."""

    user: User
    participant: Participant
    program: Program
    last: Statement
    correction: Statement
