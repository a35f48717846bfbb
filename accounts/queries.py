"""Reads about participants, their sites and enrollments, and who may see them."""

from django.db.models import QuerySet

from accounts.models import Channel, Enrollment, Participant, Program, Site, User


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
