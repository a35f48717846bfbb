"""Who belongs to a participant (a fleet, a household) and in what role; managers change it.

An owner or manager invites people by email as MANAGER or VIEWER (the same one-time link
as an enrolled owner's invitation), changes their roles and removes them; a viewer sees
everything and changes nothing. A participant always keeps one owner or manager: the last
one can be neither removed nor demoted.
"""

import datetime as dt
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from accounts import access, invitations, queries
from accounts.models import Membership, Participant, User
from settlement.errors import DomainError, NotFound, PermissionDenied

MANAGING_ROLES = (Membership.Role.OWNER, Membership.Role.MANAGER)
INVITABLE_ROLES = (Membership.Role.MANAGER, Membership.Role.VIEWER)


class MemberNotFound(NotFound):
    """No such member of a participant the caller belongs to."""

    code = "member_not_found"


class MembersReadOnly(PermissionDenied):
    """The caller is a viewer: they see the members and change nothing."""

    code = "members_read_only"


class LastManager(DomainError):
    """The change would leave the participant without an owner or manager."""

    code = "last_manager"
    http_status = 409


class RoleInvalid(DomainError):
    """The role is not one a member may be given here."""

    code = "role_invalid"


class AlreadyMember(DomainError):
    """The person invited is a member already."""

    code = "already_member"
    http_status = 409


def access_participant(*, user: User, participant_id: int) -> Participant:
    """Return a participant `user` is a member of; MemberNotFound otherwise."""
    participant = queries.participants_of(user=user).filter(pk=participant_id).first()
    if participant is None:
        raise MemberNotFound(f"no participant {participant_id}")
    return participant


def members_of(*, participant: Participant) -> QuerySet[Membership]:
    """Return the participant's memberships with their users, managers first."""
    return (
        Membership.objects.filter(participant=participant)
        .select_related("user")
        .order_by("role", "user__email")
    )


def _require_manager(actor: User, participant: Participant) -> None:
    # The one rule of who acts for a participant (`accounts.access`), members included.
    if not access.may_act_for(user=actor, participant=participant):
        raise MembersReadOnly("Only an owner or a manager can change the members.")


def _role(role: str) -> str:
    if role not in INVITABLE_ROLES:
        raise RoleInvalid("Choose manager or viewer.", details={"field": "role", "value": role})
    return role


def _locked_membership(participant: Participant, membership_id: int) -> Membership:
    # The participant's row lock serialises member changes, so two managers removing each
    # other at once cannot both succeed and leave nobody in charge.
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    membership = Membership.objects.filter(pk=membership_id, participant=participant).first()
    if membership is None:
        raise MemberNotFound(f"no member {membership_id}")
    return membership


def _others_managing(participant: Participant, membership: Membership) -> int:
    return (
        Membership.objects.filter(participant=participant, role__in=MANAGING_ROLES)
        .exclude(pk=membership.pk)
        .count()
    )


def invite_member(
    *, participant: Participant, actor: User, email: str, role: str, now: dt.datetime
) -> Membership:
    """Return the new membership of `email`, emailed a one-time link if they have no password.

    Raises MembersReadOnly, RoleInvalid or AlreadyMember.
    """
    role = _role(role)
    address = User.objects.normalize_email(email.strip()).lower()
    with transaction.atomic():
        _require_manager(actor, participant)
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        user = User.objects.filter(email__iexact=address).first()
        if user is None:
            user = User.objects.create_user(email=address, password=None, date_joined=now)
        if Membership.objects.filter(user=user, participant=participant).exists():
            raise AlreadyMember(f"{address} is a member already.", details={"field": "email"})
        membership = Membership.objects.create(user=user, participant=participant, role=role)
        if not user.has_usable_password():
            user.invited_at = now
            user.save(update_fields=["invited_at"])
            transaction.on_commit(partial(invitations.send_invitation, user_id=user.pk))
    return membership


def change_role(
    *, participant: Participant, actor: User, membership_id: int, role: str
) -> Membership:
    """Return the membership with its new role; raises MembersReadOnly, RoleInvalid,
    MemberNotFound or LastManager (demoting the last owner or manager)."""
    role = _role(role)
    with transaction.atomic():
        _require_manager(actor, participant)
        membership = _locked_membership(participant, membership_id)
        demoting = role == Membership.Role.VIEWER and membership.role in MANAGING_ROLES
        if demoting and _others_managing(participant, membership) == 0:
            raise LastManager("The last manager cannot become a viewer: add another first.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(*, participant: Participant, actor: User, membership_id: int) -> None:
    """Remove a member; raises MembersReadOnly, MemberNotFound or LastManager."""
    with transaction.atomic():
        _require_manager(actor, participant)
        membership = _locked_membership(participant, membership_id)
        if membership.role in MANAGING_ROLES and _others_managing(participant, membership) == 0:
            raise LastManager("The last manager cannot be removed: add another first.")
        membership.delete()
