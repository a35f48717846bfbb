"""Writes for participants, sites, channels, programs and enrollments."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts import invitations, queries, roles, rules
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
from settlement.errors import DomainError, PermissionDenied
from settlement.outcomes import Outcome


@dataclass
class ImportSummary:
    """Counts of rows by outcome, and the rejected rows with their reasons."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowProblem] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        """Count one applied row by what it did."""
        if outcome is Outcome.CREATED:
            self.created += 1
        elif outcome is Outcome.UPDATED:
            self.updated += 1
        else:
            self.unchanged += 1

    def reject(self, problem: RowProblem) -> None:
        """Count one rejected row and keep its problem for the report."""
        self.rejected += 1
        self.errors.append(problem)

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
    *, code: str, name: str, utility: str, timezone: str, currency: str = "USD", now: dt.datetime
) -> tuple[Program, Outcome]:
    """Return the program with this code, created or brought up to date.

    Raises RuleBroken for a code that is not a slug, an unknown time zone or a currency that
    is not ISO 4217.
    """
    rules.check_program(code=code, timezone=timezone, currency=currency)
    with transaction.atomic():
        program = Program.objects.select_for_update().filter(code=code).first()
        if program is None:
            program = Program.objects.create(
                code=code,
                name=name,
                utility=utility,
                timezone=timezone,
                currency=currency,
                created_at=now,
            )
            return program, Outcome.CREATED
        if (program.name, program.utility, program.timezone, program.currency) == (
            name,
            utility,
            timezone,
            currency,
        ):
            return program, Outcome.UNCHANGED
        program.name = name
        program.utility = utility
        program.timezone = timezone
        program.currency = currency
        program.save(update_fields=["name", "utility", "timezone", "currency"])
        return program, Outcome.UPDATED


def enroll(
    *,
    participant: Participant,
    site: Site,
    program: Program,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    now: dt.datetime,
) -> tuple[Enrollment, Outcome]:
    """Return the participant's enrollment of `site` in `program`, created or updated.

    Raises RuleBroken when the site is another participant's or in another time zone than
    the program, and rules.ExclusiveEnrollment when the participant holds an overlapping
    enrollment in a program that excludes this one.
    """
    with transaction.atomic():
        # Lock the participant so two concurrent enrollments cannot both pass the check.
        Participant.objects.select_for_update().get(pk=participant.pk)
        enrollment = Enrollment.objects.filter(
            participant=participant, site=site, program=program
        ).first()
        rules.check_enrollment(
            participant=participant,
            site=site,
            program=program,
            starts_on=starts_on,
            ends_on=ends_on,
            enrollment_id=enrollment.pk if enrollment is not None else None,
        )
        if enrollment is None:
            enrollment = Enrollment.objects.create(
                participant=participant,
                site=site,
                program=program,
                starts_on=starts_on,
                ends_on=ends_on,
                created_at=now,
            )
            return enrollment, Outcome.CREATED
        if (enrollment.starts_on, enrollment.ends_on) == (starts_on, ends_on):
            return enrollment, Outcome.UNCHANGED
        enrollment.starts_on = starts_on
        enrollment.ends_on = ends_on
        enrollment.save(update_fields=["starts_on", "ends_on"])
        return enrollment, Outcome.UPDATED


def import_enrollments(
    *, rows: Iterable[EnrollmentRow | RowProblem], now: dt.datetime, invite: bool = True
) -> ImportSummary:
    """Apply every valid row in its own transaction and return the summary.

    A rejected row changes nothing; the rows around it are kept. Every owner account the
    file creates is sent an invitation to set a password once its row has committed (unless
    `invite` is off: `invite_owners` sends them later).
    """
    summary = ImportSummary()
    for row in rows:
        if isinstance(row, RowProblem):
            summary.reject(row)
            continue
        try:
            with transaction.atomic():
                outcome = _apply_enrollment_row(row, now, invite=invite)
        except rules.RuleBroken as exc:
            summary.reject(
                RowProblem(row.line, _ROW_FIELDS.get(exc.field_name, exc.field_name), exc.reason)
            )
            continue
        summary.count(outcome)
    return summary


@dataclass
class InvitationSummary:
    """Who was sent an invitation, and how many were left alone."""

    invited: list[str] = field(default_factory=list)
    already_invited: int = 0

    def as_dict(self) -> dict[str, object]:
        """Return the JSON summary printed by `invite_owners`."""
        return {
            "invited": len(self.invited),
            "already_invited": self.already_invited,
            "emails": self.invited,
        }


def invite_owners(*, program_code: str | None, resend: bool, now: dt.datetime) -> InvitationSummary:
    """Send an invitation to every member who has never set a password.

    Without `resend`, members already invited are left alone (and counted); with it they get
    a fresh link, and every earlier link of theirs stops working.
    """
    summary = InvitationSummary()
    with transaction.atomic():
        for user in queries.users_awaiting_password(program_code=program_code).order_by("email"):
            if user.invited_at is not None and not resend:
                summary.already_invited += 1
                continue
            _invite(user, now)
            summary.invited.append(user.email)
    return summary


def _invite(user: User, now: dt.datetime) -> None:
    # A new unusable password changes the hash the token is derived from, so only the link
    # in this latest email works.
    user.set_unusable_password()
    user.invited_at = now
    user.save(update_fields=["password", "invited_at"])
    transaction.on_commit(partial(invitations.send_invitation, user_id=user.pk))


# The rules name model fields; the import reports the file's columns.
_ROW_FIELDS = {
    "site": "site_account",
    "charger": "charger_id",
    "kind": "channel_kind",
    "code": "program_code",
    "program": "program_code",
    "timezone": "site_timezone",
}


def _apply_enrollment_row(row: EnrollmentRow, now: dt.datetime, *, invite: bool) -> Outcome:
    program = Program.objects.filter(code=row.program_code).first()
    if program is None:
        raise rules.RuleBroken(
            "program_code", f"unknown program {row.program_code!r}; create it first"
        )

    outcomes = []
    participant, outcome = _upsert_participant(row, now, invite=invite)
    outcomes.append(outcome)
    site, outcome = _upsert_site(row, participant, now)
    outcomes.append(outcome)
    charger = None
    if row.charger_id:
        charger, outcome = _upsert_charger(row, site, now)
        outcomes.append(outcome)
    outcomes.append(_upsert_channel(row, site, charger, now))
    _, outcome = enroll(
        participant=participant,
        site=site,
        program=program,
        starts_on=row.enrollment_start,
        now=now,
    )
    outcomes.append(outcome)

    if Outcome.CREATED in outcomes:
        return Outcome.CREATED
    if Outcome.UPDATED in outcomes:
        return Outcome.UPDATED
    return Outcome.UNCHANGED


def _upsert_participant(
    row: EnrollmentRow, now: dt.datetime, *, invite: bool
) -> tuple[Participant, Outcome]:
    participant = Participant.objects.filter(email=row.participant_email).first()
    if participant is None:
        participant = Participant.objects.create(
            email=row.participant_email,
            name=row.participant_name,
            kind=row.participant_kind,
            created_at=now,
        )
        outcome = Outcome.CREATED
    elif (participant.name, participant.kind) == (row.participant_name, row.participant_kind):
        outcome = Outcome.UNCHANGED
    else:
        participant.name = row.participant_name
        participant.kind = row.participant_kind
        participant.save(update_fields=["name", "kind"])
        outcome = Outcome.UPDATED
    # The owner signs in with the enrolled address. A new account has no password; its
    # invitation email carries the one-time link that sets it.
    user = User.objects.filter(email=row.participant_email).first()
    if user is None:
        user = User.objects.create_user(
            row.participant_email, full_name=row.participant_name, date_joined=now
        )
        if invite:
            _invite(user, now)
    Membership.objects.get_or_create(
        user=user, participant=participant, defaults={"role": Membership.Role.OWNER}
    )
    return participant, outcome


def _upsert_site(
    row: EnrollmentRow, participant: Participant, now: dt.datetime
) -> tuple[Site, Outcome]:
    site = Site.objects.filter(account_number=row.site_account).first()
    if site is None:
        site = Site.objects.create(
            participant=participant,
            account_number=row.site_account,
            timezone=row.site_timezone,
            max_kw=row.site_max_kw,
            created_at=now,
        )
        return site, Outcome.CREATED
    if site.participant_id != participant.pk:
        raise rules.RuleBroken(
            "site_account", f"site {row.site_account} belongs to another participant"
        )
    # An empty capacity cell keeps what the site has (set in the admin or an earlier file).
    max_kw = site.max_kw if row.site_max_kw is None else row.site_max_kw
    if (site.timezone, site.max_kw) == (row.site_timezone, max_kw):
        return site, Outcome.UNCHANGED
    if site.timezone != row.site_timezone:
        rules.check_site_timezone(site=site, timezone=row.site_timezone)
    site.timezone = row.site_timezone
    site.max_kw = max_kw
    site.save(update_fields=["timezone", "max_kw"])
    return site, Outcome.UPDATED


def _upsert_charger(row: EnrollmentRow, site: Site, now: dt.datetime) -> tuple[Charger, Outcome]:
    max_kw = row.charger_max_kw
    assert max_kw is not None  # noqa: S101 - the file reader requires it for EVSE rows
    charger = Charger.objects.filter(external_id=row.charger_id).first()
    if charger is None:
        charger = Charger.objects.create(
            site=site, external_id=row.charger_id, max_discharge_kw=max_kw, created_at=now
        )
        return charger, Outcome.CREATED
    if charger.site_id != site.pk:
        raise rules.RuleBroken(
            "charger_id", f"charger {row.charger_id} is installed at another site"
        )
    if charger.max_discharge_kw == max_kw:
        return charger, Outcome.UNCHANGED
    charger.max_discharge_kw = max_kw
    charger.save(update_fields=["max_discharge_kw"])
    return charger, Outcome.UPDATED


def _upsert_channel(
    row: EnrollmentRow, site: Site, charger: Charger | None, now: dt.datetime
) -> Outcome:
    channel = Channel.objects.filter(meter_id=row.meter_id, kind=row.channel_kind).first()
    if channel is not None and channel.site.participant_id != site.participant_id:
        raise rules.RuleBroken(
            "meter_id",
            f"channel {row.meter_id}/{row.channel_kind} is already enrolled "
            "for another participant",
        )
    if channel is not None and channel.site_id != site.pk:
        raise rules.RuleBroken(
            "meter_id", f"channel {row.meter_id}/{row.channel_kind} is at another site"
        )
    rules.check_channel(
        site=site,
        meter_id=row.meter_id,
        kind=row.channel_kind,
        charger=charger,
        channel_id=channel.pk if channel is not None else None,
    )
    if channel is None:
        Channel.objects.create(
            site=site,
            meter_id=row.meter_id,
            kind=row.channel_kind,
            charger=charger,
            created_at=now,
        )
        return Outcome.CREATED
    if channel.charger_id == (charger.pk if charger is not None else None):
        return Outcome.UNCHANGED
    channel.charger = charger
    channel.save(update_fields=["charger"])
    return Outcome.UPDATED


class OwnRoles(PermissionDenied):
    """Nobody grants or removes their own roles: another administrator does."""

    code = "own_roles"


class NotProgramAdministrator(PermissionDenied):
    """Only program administrators invite staff and change roles."""

    code = "not_program_administrator"


class LastProgramAdministrator(DomainError):
    """Removing this role would leave nobody to administer programs (or to grant it back)."""

    code = "last_program_administrator"
    http_status = 409


class InvalidEmail(DomainError):
    """Not an email address."""

    code = "invalid_email"


class NotStaffAccount(DomainError):
    """The email belongs to an owner's account; staff accounts are kept apart from owners'."""

    code = "not_staff_account"
    http_status = 409


def require_program_administrator(*, user: User) -> None:
    """Return if `user` administers programs; raises NotProgramAdministrator otherwise."""
    if not queries.is_program_administrator(user=user):
        raise NotProgramAdministrator(f"{user.email} does not administer programs")


@dataclass(frozen=True)
class StaffMemberSummary:
    """What `save_staff_member` did to one account."""

    email: str
    outcome: Outcome
    roles: list[str]
    invited: bool

    def as_dict(self) -> dict[str, object]:
        """Return the JSON summary printed by `create_staff`."""
        return {
            "email": self.email,
            "outcome": self.outcome.value,
            "roles": self.roles,
            "invited": self.invited,
        }


def save_staff_member(
    *,
    email: str,
    role_codes: Iterable[str],
    granted_by: User | None,
    now: dt.datetime,
    full_name: str = "",
) -> StaffMemberSummary:
    """Return what was done to make `email` an active staff account holding exactly these roles.

    A new account has no password and is emailed the set-your-password invitation once the
    transaction commits; so is an existing one that never set a password. Never a superuser.
    `granted_by` is the administrator acting from a page or the API (None: a command run by
    whoever operates the server). Raises UnknownRole (nothing is changed),
    NotProgramAdministrator, OwnRoles, NotStaffAccount for an owner's account, and
    LastProgramAdministrator when the change would leave no program administrator.
    """
    names = roles.group_names(codes=role_codes)
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidEmail(
            f"{email!r} is not an email address", details={"field": "email"}
        ) from None
    if granted_by is not None:
        require_program_administrator(user=granted_by)
        if granted_by.email.lower() == email:
            raise OwnRoles(
                "nobody changes their own roles; ask another program administrator",
                details={"field": "email"},
            )
    groups = ensure_staff_roles()
    with transaction.atomic():
        # The administrator group's row serializes every role change, so two administrators
        # removing each other at once cannot both pass the last-administrator check.
        Group.objects.select_for_update().get(pk=groups[roles.PROGRAM_ADMINISTRATOR].pk)
        user = User.objects.select_for_update().filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, full_name=full_name, is_staff=True, date_joined=now
            )
            outcome = Outcome.CREATED
            held: set[str] = set()
        else:
            if user.memberships.exists():
                raise NotStaffAccount(
                    f"{email} is an owner's account; staff need their own",
                    details={"field": "email"},
                )
            held = set(
                user.groups.filter(name__in=roles.ROLE_CODES.values()).values_list(
                    "name", flat=True
                )
            )
            outcome = Outcome.UNCHANGED
        if (
            roles.PROGRAM_ADMINISTRATOR in held
            and roles.PROGRAM_ADMINISTRATOR not in names
            and not queries.other_program_administrators(user=user).exists()
        ):
            raise LastProgramAdministrator(
                f"{email} is the last program administrator; make another one first",
                details={"field": "role"},
            )
        if outcome is Outcome.UNCHANGED and (
            held != set(names)
            or not (user.is_active and user.is_staff)
            or (full_name and full_name != user.full_name)
        ):
            outcome = Outcome.UPDATED
            user.is_active = True
            user.is_staff = True
            user.full_name = full_name or user.full_name
            user.save(update_fields=["is_active", "is_staff", "full_name"])
        user.groups.remove(*[groups[name] for name in held - set(names)])
        user.groups.add(*[groups[name] for name in names])
        # Only an account that never set a password is invited: resetting a working password
        # would lock its owner out until they read their mail.
        invited = not user.has_usable_password() and user.last_login is None
        if invited:
            _invite(user, now)
    return StaffMemberSummary(
        email=email, outcome=outcome, roles=roles.codes_of(group_names=names), invited=invited
    )
