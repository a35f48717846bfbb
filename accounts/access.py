"""Who may act for a participant: the one rule every write a member makes goes through.

Offers (page and API), meter uploads and payout accounts all ask `require_may_act_for`
(or list with `participants_acted_for`), so a role cannot be checked on one path and
forgotten on another: a fleet VIEWER once committed the fleet through the offers API while
uploads refused it.
"""

from typing import Final

from django.db.models import QuerySet

from accounts.models import Membership, Participant, User
from settlement.errors import PermissionDenied

# OWNER and MANAGER act for the participant; a VIEWER reads only.
ACTING_ROLES: Final = frozenset({Membership.Role.OWNER, Membership.Role.MANAGER})


class MayNotAct(PermissionDenied):
    """The user is a member of the participant but may only read (or is not active).

    Its code stays `permission_denied`, the code API clients already handle for a viewer.
    """


def may_act_for(*, user: User, participant: Participant) -> bool:
    """Return whether `user` may write for `participant` (an OWNER or MANAGER, active)."""
    if not user.is_active:
        return False
    return Membership.objects.filter(
        user=user, participant=participant, role__in=ACTING_ROLES
    ).exists()


def require_may_act_for(*, user: User, participant: Participant) -> None:
    """Return nothing when `user` may act for `participant`; raise MayNotAct (403) otherwise.

    Callers first find the participant through the user's memberships (a stranger gets
    their 404), so this only refuses members who may read but not write.
    """
    if not may_act_for(user=user, participant=participant):
        raise MayNotAct(
            "you may view this participant's data but not act for it",
            details={"participant_id": participant.pk},
        )


def participants_acted_for(*, user: User) -> QuerySet[Participant]:
    """Return the participants `user` may act for (none for an inactive user)."""
    if not user.is_active:
        return Participant.objects.none()
    return Participant.objects.filter(
        memberships__user=user, memberships__role__in=ACTING_ROLES
    ).distinct()
