"""Writing how a program pays (method, smallest payout, tax forms); reading every section.

Payouts is the highest domain layer, so the one read of all of a program's settings (review
thresholds, payouts, meter data) lives here.
"""

import datetime as dt
from dataclasses import asdict, dataclass

from accounts import program_settings
from accounts import queries as account_queries
from accounts.models import Program, ProgramSettingsChange, User
from settlement.metering.models import ProgramMeteringSettings
from settlement.outcomes import Outcome
from settlement.payouts import operations
from settlement.payouts.models import PayoutMethod, ProgramPayoutSettings
from settlement.statements.models import ProgramSettlementSettings
from settlement.statements.review import queries as statement_queries

# The forms a US program reports payments on; NONE for payments that are not reported.
TAX_FORMS = ("1099-MISC", "1099-NEC", "NONE")


@dataclass(frozen=True)
class PayoutSettings:
    """The payout settings a program administrator sets.

    `organization_tax_form` empty: organizations are reported on `tax_form` as individuals.
    """

    method: str
    minimum_cents: int
    tax_form: str
    organization_tax_form: str = ""


def save_payout_settings(
    *, program: Program, settings: PayoutSettings, changed_by: User, now: dt.datetime
) -> tuple[ProgramPayoutSettings, Outcome]:
    """Return the program's payout settings set to `settings`, audited.

    Raises NotProgramAdministrator, or SettingsInvalid (an unknown method or tax form, a
    negative minimum).
    """
    problems: dict[str, list[str]] = {}
    if settings.method not in PayoutMethod.values:
        problems["method"] = [f"one of {', '.join(PayoutMethod.values)}"]
    if settings.minimum_cents < 0:
        problems["minimum_cents"] = ["must be zero or more"]
    if settings.tax_form not in TAX_FORMS:
        problems["tax_form"] = [f"one of {', '.join(TAX_FORMS)}"]
    if settings.organization_tax_form not in ("", *TAX_FORMS):
        problems["organization_tax_form"] = [f"empty or one of {', '.join(TAX_FORMS)}"]
    return program_settings.save_section(
        program=program,
        section=ProgramSettingsChange.Section.PAYOUT,
        model=ProgramPayoutSettings,
        values=asdict(settings),
        problems=problems,
        changed_by=changed_by,
        now=now,
    )


@dataclass(frozen=True)
class ProgramSettings:
    """Every section of a program's settings as in force (defaults where none was saved)."""

    thresholds: ProgramSettlementSettings
    payout: ProgramPayoutSettings
    metering: ProgramMeteringSettings
    changes: list[ProgramSettingsChange]


def settings_of(*, program: Program) -> ProgramSettings:
    """Return the program's settings in force and its latest audited changes.

    A section never saved shows the defaults the service applies (unsaved rows); payouts
    default to Stripe with a key, else manual, as `operations.payout_method` does.
    """
    payout = ProgramPayoutSettings.objects.filter(program=program).first()
    if payout is None:
        payout = ProgramPayoutSettings(
            program=program, method=operations.payout_method(program=program)
        )
    metering = ProgramMeteringSettings.objects.filter(program=program).first()
    return ProgramSettings(
        thresholds=statement_queries.settlement_settings(program=program),
        payout=payout,
        metering=metering or ProgramMeteringSettings(program=program),
        changes=account_queries.settings_changes(program=program),
    )
