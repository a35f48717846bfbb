"""Writing how a program treats meter data: gap interpolation, site bound, source ranks."""

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from accounts import program_settings
from accounts.models import Program, ProgramSettingsChange, User
from settlement.metering.models import ProgramMeteringSettings
from settlement.outcomes import Outcome


@dataclass(frozen=True)
class MeteringSettings:
    """The meter-data settings a program administrator sets."""

    interpolate_gaps_up_to_minutes: int
    site_max_kw: Decimal
    source_precedence: list[str]


def save_metering_settings(
    *, program: Program, settings: MeteringSettings, changed_by: User, now: dt.datetime
) -> tuple[ProgramMeteringSettings, Outcome]:
    """Return the program's metering settings set to `settings`, audited.

    Raises NotProgramAdministrator, or SettingsInvalid (interpolation beyond a day, a bound
    not above zero, a precedence that does not list every source once).
    """
    problems: dict[str, list[str]] = {}
    if settings.interpolate_gaps_up_to_minutes < 0:
        problems["interpolate_gaps_up_to_minutes"] = ["must be zero or more"]
    elif settings.interpolate_gaps_up_to_minutes > 24 * 60:
        problems["interpolate_gaps_up_to_minutes"] = ["must be at most 1440 (a day)"]
    if settings.site_max_kw <= 0:
        problems["site_max_kw"] = ["must be above zero"]
    return program_settings.save_section(
        program=program,
        section=ProgramSettingsChange.Section.METERING,
        model=ProgramMeteringSettings,
        values=asdict(settings),
        problems=problems,
        changed_by=changed_by,
        now=now,
    )
