"""Staff roles as groups with permissions; the one place the role names are defined."""

from typing import Final

REVIEWER: Final = "reviewer"
APPROVER: Final = "approver"
PROGRAM_ADMINISTRATOR: Final = "program administrator"

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
