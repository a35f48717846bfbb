"""Which staff role may decide what, in which programs."""

from accounts.models import Program, User
from settlement.errors import PermissionDenied
from settlement.statements.review import queries as statement_queries

APPROVE_PERMISSION = "accounts.approve_settlement"
REVIEW_PERMISSION = "accounts.review_settlement"


class RoleRequired(PermissionDenied):
    """The staff member's role does not allow this decision (or not in this program)."""

    code = "role_required"


def require_role(*, user: User, program: Program, permissions: tuple[str, ...]) -> None:
    """Return if `user` holds one of `permissions` for `program`.

    Raises RoleRequired otherwise, naming the first permission (the role the move is for).
    """
    held = [name for name in permissions if user.has_perm(name)]
    if not user.is_active or not user.is_staff or not held:
        raise RoleRequired(
            f"{user.email} does not have the {permissions[0].split('.')[1]} role",
            details={"permission": permissions[0]},
        )
    if not statement_queries.programs_in_scope(user=user).filter(pk=program.pk).exists():
        raise RoleRequired(
            f"{user.email} does not work on program {program.code}",
            details={"program": program.code},
        )
