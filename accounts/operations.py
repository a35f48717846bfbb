"""Writes for participants, sites, channels, programs and enrollments."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts import queries, roles
from accounts.enrollment_file import EnrollmentRow, RowProblem
from accounts.models import (
    Channel,
    Charger,
    Enrollment,
    Membership,
    Participant,
    Program,
    Site,
    User,
)
from accounts.timezones import is_valid_timezone
from settlement.errors import DomainError


class Outcome(StrEnum):
    """What a create-or-update call did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class InvalidProgram(DomainError):
    """A program's fields are not acceptable."""

    code = "invalid_program"


class ExclusiveEnrollment(DomainError):
    """The participant is already enrolled in a program that excludes this one."""

    code = "exclusive_enrollment"
    http_status = 409


class RowRejected(DomainError):
    """One import row conflicts with what is already enrolled."""

    code = "row_rejected"

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason, details={"field": field_name})
        self.field_name = field_name
        self.reason = reason


@dataclass
class ImportSummary:
    """Counts of rows by outcome, and the rejected rows with their reasons."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the JSON summary printed by `import_enrollments`."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [problem.as_dict() for problem in self.errors],
        }


def ensure_staff_roles() -> dict[str, Group]:
    """Return the staff role groups, creating them and granting exactly their permissions."""
    groups = {}
    for role_name, grants in roles.ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role_name)
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in grants
        ]
        group.permissions.set(permissions)
        groups[role_name] = group
    return groups


def create_program(
    *, code: str, name: str, utility: str, timezone: str, currency: str = "USD"
) -> tuple[Program, Outcome]:
    """Return the program with this code, created or brought up to date.

    Raises InvalidProgram for an unknown time zone or a currency that is not ISO 4217.
    """
    if not is_valid_timezone(timezone):
        raise InvalidProgram(
            f"{timezone!r} is not an IANA time zone", details={"field": "timezone"}
        )
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise InvalidProgram(
            f"{currency!r} is not an ISO 4217 currency code", details={"field": "currency"}
        )
    wanted = {"name": name, "utility": utility, "timezone": timezone, "currency": currency}
    with transaction.atomic():
        program = Program.objects.select_for_update().filter(code=code).first()
        if program is None:
            return Program.objects.create(code=code, **wanted), Outcome.CREATED
        return program, _update_fields(program, wanted)


def enroll(
    *,
    participant: Participant,
    site: Site,
    program: Program,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> tuple[Enrollment, Outcome]:
    """Return the participant's enrollment of `site` in `program`, created or updated.

    Raises ExclusiveEnrollment when the participant holds an overlapping enrollment in a
    program that excludes this one.
    """
    with transaction.atomic():
        # Lock the participant so two concurrent enrollments cannot both pass the check.
        Participant.objects.select_for_update().get(pk=participant.pk)
        conflicts = queries.overlapping_exclusive_enrollments(
            participant=participant, program=program, starts_on=starts_on, ends_on=ends_on
        )
        conflict = conflicts.first()
        if conflict is not None:
            raise ExclusiveEnrollment(
                f"{participant.email} is enrolled in {conflict.program.code}, "
                f"which excludes {program.code}",
                details={"program": program.code, "conflicting_program": conflict.program.code},
            )
        enrollment = Enrollment.objects.filter(
            participant=participant, site=site, program=program
        ).first()
        if enrollment is None:
            enrollment = Enrollment.objects.create(
                participant=participant,
                site=site,
                program=program,
                starts_on=starts_on,
                ends_on=ends_on,
            )
            return enrollment, Outcome.CREATED
        return enrollment, _update_fields(enrollment, {"starts_on": starts_on, "ends_on": ends_on})


def import_enrollments(*, rows: Iterable[EnrollmentRow | RowProblem]) -> ImportSummary:
    """Apply every valid row in its own transaction and return the summary.

    A rejected row changes nothing; the rows around it are kept.
    """
    summary = ImportSummary()
    for row in rows:
        if isinstance(row, RowProblem):
            summary.rejected += 1
            summary.errors.append(row)
            continue
        try:
            with transaction.atomic():
                outcome = _apply_enrollment_row(row)
        except RowRejected as exc:
            summary.rejected += 1
            summary.errors.append(RowProblem(row.line, exc.field_name, exc.reason))
            continue
        except ExclusiveEnrollment as exc:
            summary.rejected += 1
            summary.errors.append(RowProblem(row.line, "program_code", exc.message))
            continue
        setattr(summary, outcome.value, getattr(summary, outcome.value) + 1)
    return summary


def _apply_enrollment_row(row: EnrollmentRow) -> Outcome:
    program = Program.objects.filter(code=row.program_code).first()
    if program is None:
        raise RowRejected("program_code", f"unknown program {row.program_code!r}; create it first")

    outcomes = []
    participant, outcome = _upsert_participant(row)
    outcomes.append(outcome)
    site, outcome = _upsert_site(row, participant)
    outcomes.append(outcome)
    charger = None
    if row.charger_id:
        charger, outcome = _upsert_charger(row, site)
        outcomes.append(outcome)
    outcomes.append(_upsert_channel(row, site, charger))
    _, outcome = enroll(
        participant=participant, site=site, program=program, starts_on=row.enrollment_start
    )
    outcomes.append(outcome)

    if Outcome.CREATED in outcomes:
        return Outcome.CREATED
    if Outcome.UPDATED in outcomes:
        return Outcome.UPDATED
    return Outcome.UNCHANGED


def _upsert_participant(row: EnrollmentRow) -> tuple[Participant, Outcome]:
    wanted = {"name": row.participant_name, "kind": row.participant_kind}
    participant = Participant.objects.filter(email=row.participant_email).first()
    if participant is None:
        participant = Participant.objects.create(email=row.participant_email, **wanted)
        outcome = Outcome.CREATED
    else:
        outcome = _update_fields(participant, wanted)
    # The owner signs in with the enrolled address; the account has no password until
    # the owner sets one through password reset.
    user = User.objects.filter(email=row.participant_email).first()
    if user is None:
        user = User.objects.create_user(row.participant_email, full_name=row.participant_name)
    Membership.objects.get_or_create(
        user=user, participant=participant, defaults={"role": Membership.Role.OWNER}
    )
    return participant, outcome


def _upsert_site(row: EnrollmentRow, participant: Participant) -> tuple[Site, Outcome]:
    site = Site.objects.filter(account_number=row.site_account).first()
    if site is None:
        site = Site.objects.create(
            participant=participant,
            account_number=row.site_account,
            timezone=row.site_timezone,
            max_kw=row.site_max_kw,
        )
        return site, Outcome.CREATED
    if site.participant_id != participant.pk:
        raise RowRejected("site_account", f"site {row.site_account} belongs to another participant")
    wanted: dict[str, object] = {"timezone": row.site_timezone}
    if row.site_max_kw is not None:
        # An empty cell keeps what the site has (set in the admin or by an earlier file).
        wanted["max_kw"] = row.site_max_kw
    return site, _update_fields(site, wanted)


def _upsert_charger(row: EnrollmentRow, site: Site) -> tuple[Charger, Outcome]:
    max_kw = row.charger_max_kw
    assert max_kw is not None  # noqa: S101 - the file reader requires it for EVSE rows
    charger = Charger.objects.filter(external_id=row.charger_id).first()
    if charger is None:
        charger = Charger.objects.create(
            site=site, external_id=row.charger_id, max_discharge_kw=max_kw
        )
        return charger, Outcome.CREATED
    if charger.site_id != site.pk:
        raise RowRejected("charger_id", f"charger {row.charger_id} is installed at another site")
    return charger, _update_fields(charger, {"max_discharge_kw": Decimal(max_kw)})


def _upsert_channel(row: EnrollmentRow, site: Site, charger: Charger | None) -> Outcome:
    siblings = Channel.objects.filter(meter_id=row.meter_id).exclude(kind=row.channel_kind)
    wants_evse = row.channel_kind in Channel.EVSE_KINDS
    for sibling in siblings:
        if (sibling.kind in Channel.EVSE_KINDS) != wants_evse:
            raise RowRejected(
                "channel_kind",
                f"meter {row.meter_id} already has a {sibling.kind} channel; a meter is either "
                "a revenue meter (SITE_*) or a charger sub-meter (EVSE_*)",
            )
        if sibling.site_id != site.pk:
            raise RowRejected("meter_id", f"meter {row.meter_id} is at another site")

    channel = Channel.objects.filter(meter_id=row.meter_id, kind=row.channel_kind).first()
    if channel is None:
        Channel.objects.create(
            site=site, meter_id=row.meter_id, kind=row.channel_kind, charger=charger
        )
        return Outcome.CREATED
    if channel.site.participant_id != site.participant_id:
        raise RowRejected(
            "meter_id",
            f"channel {row.meter_id}/{row.channel_kind} is already enrolled "
            "for another participant",
        )
    if channel.site_id != site.pk:
        raise RowRejected(
            "meter_id", f"channel {row.meter_id}/{row.channel_kind} is at another site"
        )
    return _update_fields(channel, {"charger": charger})


def _update_fields(
    instance: Participant | Site | Charger | Channel | Program | Enrollment,
    wanted: Mapping[str, object],
) -> Outcome:
    changed = [name for name, value in wanted.items() if getattr(instance, name) != value]
    if not changed:
        return Outcome.UNCHANGED
    for name in changed:
        setattr(instance, name, wanted[name])
    instance.full_clean(validate_unique=False, validate_constraints=False)
    instance.save(update_fields=changed)
    return Outcome.UPDATED
