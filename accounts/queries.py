"""Reads about participants, their sites and enrollments, and who may see them."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q, QuerySet

from accounts import roles
from accounts.models import (
    Channel,
    Enrollment,
    Participant,
    Program,
    ProgramSettingsChange,
    Site,
    User,
)
from settlement.errors import NotFound


def participants_of(*, user: User) -> QuerySet[Participant]:
    """Return the participants `user` acts for (none for a user with no membership)."""
    return Participant.objects.filter(memberships__user=user)


def sites_of(*, user: User) -> QuerySet[Site]:
    """Return the sites of the participants `user` acts for."""
    return Site.objects.filter(participant__memberships__user=user)


def channels_of(*, user: User) -> QuerySet[Channel]:
    """Return the channels at the sites of the participants `user` acts for."""
    return Channel.objects.filter(site__participant__memberships__user=user)


def enrollments_of(*, user: User) -> QuerySet[Enrollment]:
    """Return the enrollments of the participants `user` acts for."""
    return Enrollment.objects.filter(participant__memberships__user=user).select_related(
        "program", "site"
    )


def overlapping_exclusive_enrollments(
    *, participant: Participant, program: Program, starts_on: object, ends_on: object | None
) -> QuerySet[Enrollment]:
    """Return the participant's live enrollments in programs exclusive with `program`.

    Only enrollments whose half-open dates overlap [starts_on, ends_on) count.
    """
    overlapping = Enrollment.objects.filter(
        participant=participant,
        program__in=program.exclusive_with.all(),
    ).exclude(status=Enrollment.Status.ENDED)
    overlapping = overlapping.exclude(ends_on__isnull=False, ends_on__lte=starts_on)
    if ends_on is not None:
        overlapping = overlapping.exclude(starts_on__gte=ends_on)
    return overlapping.select_related("program")


def is_staff_user(*, user: User) -> bool:
    """Return whether `user` is utility staff (reviewers, approvers, administrators)."""
    return bool(user.is_active and user.is_staff)


ADMINISTER_PROGRAM = "accounts.administer_program"


def is_program_administrator(*, user: User) -> bool:
    """Return whether `user` is active staff holding the program administrator's permission."""
    return is_staff_user(user=user) and user.has_perm(ADMINISTER_PROGRAM)


class StaffNotFound(NotFound):
    """No active staff account has this email."""

    code = "staff_not_found"


def active_staff_by_email(*, email: str) -> User:
    """Return the active staff account with this email; raises StaffNotFound."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True, is_staff=True).first()
    if user is None:
        raise StaffNotFound(f"no active staff account {email!r}", details={"field": "as"})
    return user


def staff_members() -> QuerySet[User]:
    """Return every staff account by email, with its groups prefetched."""
    return User.objects.filter(is_staff=True).prefetch_related("groups").order_by("email", "pk")


def other_program_administrators(*, user: User) -> QuerySet[User]:
    """Return the active staff other than `user` who administer programs (role or superuser)."""
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__name=roles.PROGRAM_ADMINISTRATOR) | Q(is_superuser=True))
        .exclude(pk=user.pk)
        .distinct()
    )


def users_awaiting_password(*, program_code: str | None = None) -> QuerySet[User]:
    """Return the active members of participants who have never set a password.

    With `program_code`, only those whose participant is enrolled in that program.
    """
    users = User.objects.filter(
        is_active=True,
        last_login__isnull=True,
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
        memberships__isnull=False,
    )
    if program_code is not None:
        users = users.filter(participants__enrollments__program__code=program_code)
    return users.distinct()


def users_who_may_reset_password(*, email: str) -> QuerySet[User]:
    """Return the accounts a "Forgot your password?" request for `email` may reach.

    An owner who never set a password (imported with none) may; an account staff disabled
    (inactive, or its password disabled after it had been used) may not.
    """
    return User.objects.filter(email__iexact=email, is_active=True).filter(
        ~Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(last_login__isnull=True)
    )


def meter_ids() -> list[str]:
    """Return every meter id that has a channel, in order."""
    return list(Channel.objects.order_by("meter_id").values_list("meter_id", flat=True).distinct())


def settings_changes(*, program: Program, limit: int = 20) -> list[ProgramSettingsChange]:
    """Return the program's latest settings changes, newest first, with who made them."""
    return list(
        ProgramSettingsChange.objects.filter(program=program)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )
