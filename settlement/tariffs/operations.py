"""Writes for tariffs: importing a file as a version, revising and locking versions."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

from accounts.models import Program
from accounts.timezones import is_valid_timezone
from settlement import version_locks
from settlement.errors import DomainError, NotFound
from settlement.outcomes import Outcome
from settlement.rating import holiday_calendars
from settlement.tariffs import definitions, sources
from settlement.tariffs.models import TariffPlan, TariffVersion


class ProgramNotFound(NotFound):
    """No program has this code."""

    code = "program_not_found"


class TimeZoneRequired(DomainError):
    """The plan's zone is neither given nor known from a program."""

    code = "timezone_required"


class InvalidImportOption(DomainError):
    """An import option (time zone, holiday calendar) is not acceptable."""

    code = "invalid_import_option"


class PlanConflict(DomainError):
    """The plan exists with a zone or holiday calendar other than the one asked for."""

    code = "tariff_plan_conflict"
    http_status = 409


class VersionOverlap(DomainError):
    """A new version's dates overlap a version that cannot give way."""

    code = "tariff_version_overlap"
    http_status = 409


class VersionLocked(DomainError):
    """A statement was priced with this version: it may not change."""

    code = "tariff_version_locked"
    http_status = 409


def _fields(field: str, reason: str) -> dict[str, object]:
    return {"field": field, "reason": reason}


@dataclass(frozen=True)
class ImportedVersion:
    """One version an import created or found."""

    version: TariffVersion
    outcome: Outcome
    periods: int

    def as_dict(self) -> dict[str, object]:
        """Return the version's line in the summary."""
        return {
            "version": self.version.version,
            "outcome": self.outcome.value,
            "periods": self.periods,
            "effective_from": self.version.effective_from.isoformat(),
            "effective_to": _iso(self.version.effective_to),
        }


@dataclass(frozen=True)
class TariffImport:
    """The versions an import created or found (one per calendar year the file prices)."""

    versions: tuple[ImportedVersion, ...]
    warnings: tuple[str, ...]

    @property
    def version(self) -> TariffVersion:
        """Return the first version: the one in force from the import's start."""
        return self.versions[0].version

    @property
    def outcome(self) -> Outcome:
        """Return CREATED when any version is new, else UNCHANGED."""
        if any(part.outcome is Outcome.CREATED for part in self.versions):
            return Outcome.CREATED
        return Outcome.UNCHANGED

    def as_dict(self) -> dict[str, object]:
        """Return the JSON summary printed by `import_tariff`.

        `version`, `periods` and the dates span all versions: the first version's number
        and size, the first start and the last end.
        """
        first, last = self.versions[0], self.versions[-1]
        return {
            "code": first.version.plan.code,
            "version": first.version.version,
            "outcome": self.outcome.value,
            "periods": first.periods,
            "effective_from": first.version.effective_from.isoformat(),
            "effective_to": _iso(last.version.effective_to),
            "warnings": list(self.warnings),
            "versions": [part.as_dict() for part in self.versions],
        }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _resolve_timezone(timezone: str | None, program: Program | None) -> str:
    if timezone is None and program is not None:
        timezone = program.timezone
    if timezone is None:
        raise TimeZoneRequired(
            "give --timezone, or --program to use the program's zone",
            details=_fields("timezone", "required: neither --timezone nor --program given"),
        )
    if not is_valid_timezone(timezone):
        raise InvalidImportOption(
            f"timezone: {timezone!r} is not an IANA time zone",
            details=_fields("timezone", f"{timezone!r} is not an IANA time zone"),
        )
    return timezone


def _program(program_code: str | None) -> Program | None:
    if program_code is None:
        return None
    program = Program.objects.filter(code=program_code).first()
    if program is None:
        raise ProgramNotFound(
            f"program: no program {program_code!r}",
            details=_fields("program", f"no program {program_code!r}"),
        )
    return program


def _plan(
    *,
    code: str,
    timezone: str,
    calendar: str | None,
    tariff_file: sources.TariffFile,
    fmt: str,
    now: datetime,
) -> TariffPlan:
    plan = TariffPlan.objects.select_for_update().filter(code=code).first()
    if plan is None:
        chosen = calendar or sources.DEFAULT_CALENDAR[sources.SourceFormat(fmt)]
        return TariffPlan.objects.create(
            code=code,
            name=tariff_file.name or code,
            utility=tariff_file.utility,
            timezone=timezone,
            holiday_calendar=chosen,
            created_at=now,
        )
    # Changing either would silently reprice every version the plan already has.
    if plan.timezone != timezone:
        raise PlanConflict(
            f"timezone: plan {code} is in {plan.timezone}, not {timezone}",
            details=_fields("timezone", f"plan {code} is in {plan.timezone}"),
        )
    if calendar is not None and plan.holiday_calendar != calendar:
        raise PlanConflict(
            f"holidays: plan {code} uses the {plan.holiday_calendar} calendar",
            details=_fields("holidays", f"plan {code} uses {plan.holiday_calendar}"),
        )
    return plan


def _make_room(*, plan: TariffPlan, start: date, end: date | None) -> None:
    """End the open version the new one supersedes; refuse any other overlap."""
    for other in TariffVersion.objects.filter(plan=plan).order_by("effective_from"):
        overlaps = (end is None or other.effective_from < end) and (
            other.effective_to is None or other.effective_to > start
        )
        if not overlaps:
            continue
        if other.effective_to is None and other.effective_from < start:
            _end_open_version(version=other, on=start)
            continue
        raise VersionOverlap(
            f"effective_from: {plan.code} v{other.version} is in force "
            f"[{other.effective_from}, {_iso(other.effective_to) or 'open'})",
            details=_fields("effective_from", f"overlaps {plan.code} v{other.version}"),
        )


def _end_open_version(*, version: TariffVersion, on: date) -> None:
    # Closing an open end changes no price a statement used if it falls after every
    # period priced with the version.
    if version.locked_through is not None and on < version.locked_through:
        raise VersionLocked(
            f"{version} priced statements through {version.locked_through}; it cannot end on {on}",
            details=_fields("effective_from", f"{version} is locked through"),
        )
    version.effective_to = on
    version.save(update_fields=["effective_to"])


def import_tariff(
    *,
    data: bytes,
    source_format: sources.SourceFormat,
    code: str,
    source_name: str = "",
    timezone: str | None = None,
    effective_from: date | None = None,
    program_code: str | None = None,
    holidays: str | None = None,
    now: datetime,
) -> TariffImport:
    """Return the versions `data` becomes in plan `code`, created or found (idempotent).

    A file that prices several calendar years becomes one version per year, all created in
    one transaction; the same file again finds them all. The plan (created on first import)
    is in `timezone`, else the program's zone. A new version ends the plan's open-ended
    version it supersedes. `program_code` only lends its zone here: making the plan what the
    program pays by is its EXPORT_TARIFF rule (`programs.operations.import_program_tariff`),
    the one record of it. Raises
    TariffFileError (malformed file), TimeZoneRequired, InvalidImportOption,
    ProgramNotFound, PlanConflict, VersionOverlap or VersionLocked;
    nothing is stored then.
    """
    if holidays is not None and holidays not in holiday_calendars.CALENDAR_NAMES:
        raise InvalidImportOption(
            f"holidays: {holidays!r} is not one of {', '.join(holiday_calendars.CALENDAR_NAMES)}",
            details=_fields("holidays", f"{holidays!r} is not a known calendar"),
        )
    program = _program(program_code)
    zone = _resolve_timezone(timezone, program)
    tariff_file = sources.read_tariff_file(
        data=data, source_format=source_format, time_zone=zone, effective_from=effective_from
    )
    sha256 = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        plan = _plan(
            code=code,
            timezone=zone,
            calendar=holidays,
            tariff_file=tariff_file,
            fmt=source_format.value,
            now=now,
        )
        versions = tuple(
            _version_of_part(
                plan=plan,
                part=part,
                sha256=sha256,
                source_format=source_format,
                source_name=source_name,
                warnings=tariff_file.warnings,
                now=now,
            )
            for part in tariff_file.parts
        )
    return TariffImport(versions=versions, warnings=tariff_file.warnings)


def _version_of_part(
    *,
    plan: TariffPlan,
    part: sources.TariffPart,
    sha256: str,
    source_format: sources.SourceFormat,
    source_name: str,
    warnings: tuple[str, ...],
    now: datetime,
) -> ImportedVersion:
    definition = definitions.to_json(part.tariff)
    periods = definitions.entry_count(part.tariff)
    version = TariffVersion.objects.filter(
        plan=plan, source_sha256=sha256, effective_from=part.effective_from
    ).first()
    if version is not None:
        if version.definition != definition:
            raise VersionOverlap(
                f"file: already imported as {version} with other options",
                details=_fields("file", f"already imported as {version} with other options"),
            )
        return ImportedVersion(version=version, outcome=Outcome.UNCHANGED, periods=periods)
    _make_room(plan=plan, start=part.effective_from, end=part.effective_to)
    latest = plan.versions.order_by("-version").values_list("version", flat=True).first()
    version = TariffVersion.objects.create(
        plan=plan,
        version=(latest or 0) + 1,
        kind=definitions.kind_of(part.tariff),
        definition=definition,
        effective_from=part.effective_from,
        effective_to=part.effective_to,
        source_format=source_format.stored,
        source_name=source_name,
        source_sha256=sha256,
        warnings=list(warnings),
        created_at=now,
    )
    return ImportedVersion(version=version, outcome=Outcome.CREATED, periods=periods)


def lock_version(*, version: TariffVersion, through: date, now: datetime) -> TariffVersion:
    """Return `version` locked: a statement priced local dates before `through` with it.

    The first lock records `now`; later locks only extend `locked_through`.
    """
    return version_locks.lock_through(TariffVersion, pk=version.pk, through=through, now=now)
