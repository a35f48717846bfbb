"""Reads of notices: who is told about a participant, what they turned off, their list."""

from django.db.models import QuerySet

from accounts import access
from accounts.models import Membership, Participant, Site, User
from settlement.errors import NotFound
from settlement.notices.models import Notification, NotificationKind, Preference


class NotificationNotFound(NotFound):
    """No notification with this id was sent to the caller."""

    code = "notification_not_found"


def recipients(*, participant_id: int) -> list[User]:
    """Return the people told about a participant: its active owners and managers.

    They are the members who act for it (`accounts.access.ACTING_ROLES`); a viewer reads the
    participant's pages but is not asked to do anything, so it is not emailed.
    """
    return list(
        User.objects.filter(
            is_active=True,
            memberships__participant_id=participant_id,
            memberships__role__in=access.ACTING_ROLES,
        )
        .distinct()
        .order_by("pk")
    )


def fallback_address(*, participant_id: int) -> str:
    """Return the participant's own address, for one that has no member who may act."""
    return (
        Participant.objects.filter(pk=participant_id).values_list("email", flat=True).first() or ""
    )


def zone_of(*, participant_id: int) -> str:
    """Return the zone a participant's notifications are dated in: its first site's."""
    return (
        Site.objects.filter(participant_id=participant_id)
        .order_by("pk")
        .values_list("timezone", flat=True)
        .first()
        or "UTC"
    )


def turned_off(*, user_ids: list[int]) -> set[tuple[int, str]]:
    """Return the (user id, kind) pairs these people turned off."""
    return set(
        Preference.objects.filter(user_id__in=user_ids, enabled=False).values_list(
            "user_id", "kind"
        )
    )


def preferences_of(*, user: User) -> dict[str, bool]:
    """Return every kind with whether `user` is told about it (on unless turned off)."""
    off = {kind for _, kind in turned_off(user_ids=[user.pk])}
    return {kind: kind not in off for kind in NotificationKind.values}


def notifications_of(*, user: User) -> QuerySet[Notification]:
    """Return the notifications sent to `user`, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(*, user: User) -> int:
    """Return how many of `user`'s notifications are unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def access_notification(*, user: User, notification_id: int) -> Notification:
    """Return notification `notification_id` if it was sent to `user`.

    Raises NotificationNotFound otherwise, whether or not it exists.
    """
    found = Notification.objects.filter(user=user, pk=notification_id).first()
    if found is None:
        raise NotificationNotFound(
            f"no notification {notification_id}", details={"field": "notification_id"}
        )
    return found


def is_member(*, user: User) -> bool:
    """Return whether `user` is a member of any participant (has notifications to read)."""
    return Membership.objects.filter(user=user).exists()
