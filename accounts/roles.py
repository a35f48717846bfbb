"""Staff roles as groups with permissions; the one place the role names are defined."""

from collections.abc import Iterable
from typing import Final

from settlement.errors import DomainError

REVIEWER: Final = "reviewer"
APPROVER: Final = "approver"
PROGRAM_ADMINISTRATOR: Final = "program administrator"

# The short names commands and forms take (`create_staff --role program_admin`): a group
# name with a space is awkward on a command line.
ROLE_CODES: Final[dict[str, str]] = {
    "reviewer": REVIEWER,
    "approver": APPROVER,
    "program_admin": PROGRAM_ADMINISTRATOR,
}

# (app_label, codename) pairs each role is granted. Reviewers prepare and check
# statements; approvers release them (maker-checker: a separate person); program
# administrators maintain programs, sites and enrollments.
ROLE_PERMISSIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    REVIEWER: (
        ("accounts", "review_settlement"),
        ("accounts", "view_participant"),
        ("accounts", "view_site"),
        ("accounts", "view_channel"),
        ("accounts", "view_enrollment"),
        ("accounts", "view_program"),
    ),
    APPROVER: (
        ("accounts", "approve_settlement"),
        ("accounts", "view_participant"),
        ("accounts", "view_enrollment"),
        ("accounts", "view_program"),
    ),
    PROGRAM_ADMINISTRATOR: (
        ("accounts", "administer_program"),
        *(
            ("accounts", f"{action}_{model}")
            for model in ("participant", "site", "charger", "channel", "program", "enrollment")
            for action in ("add", "change", "view")
        ),
        # Tariff plans, and how a program's meter data is validated. Tariff
        # versions themselves are only imported (never edited), so only viewed here.
        *(
            (app_label, f"{action}_{model}")
            for app_label, model in (
                ("tariffs", "tariffplan"),
                ("metering", "programmeteringsettings"),
                ("metering", "aggregator"),
            )
            for action in ("add", "change", "view")
        ),
        ("tariffs", "view_tariffversion"),
        ("metering", "view_upload"),
        # The aggregator flow: whom an aggregator posts for (links can be removed too).
        *(
            ("metering", f"{action}_aggregatorparticipant")
            for action in ("add", "change", "view", "delete")
        ),
    ),
}


class UnknownRole(DomainError):
    """A role code that is not one of `ROLE_CODES`."""

    code = "unknown_role"


def group_names(*, codes: Iterable[str]) -> list[str]:
    """Return the group name of each role code, in `ROLE_CODES` order, without repeats.

    Raises UnknownRole naming every code that is not a role (so nothing is half done).
    """
    wanted = set(codes)
    unknown = sorted(wanted - ROLE_CODES.keys())
    if unknown:
        raise UnknownRole(
            f"unknown role {', '.join(unknown)}; roles are {', '.join(ROLE_CODES)}",
            details={"field": "role", "unknown": unknown, "roles": list(ROLE_CODES)},
        )
    return [name for code, name in ROLE_CODES.items() if code in wanted]


def codes_of(*, group_names: Iterable[str]) -> list[str]:
    """Return the role codes of these group names, in `ROLE_CODES` order (others ignored)."""
    held = set(group_names)
    return [code for code, name in ROLE_CODES.items() if name in held]
