"""The staff role groups and their permissions exist after `migrate` (issue 19).

Django creates permissions in a post_migrate signal, after every migration has run, so this
migration creates the content types and permissions it grants first. The grants are frozen
here as they stood when it was written (a migration replays history); a later change to
`accounts.roles.ROLE_PERMISSIONS` comes with its own migration, and
`tests/integration/test_staff_roles_migration.py` fails until it does.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

REVIEWER = "reviewer"
APPROVER = "approver"
PROGRAM_ADMINISTRATOR = "program administrator"

_CUSTOM = {
    "review_settlement": "Can review settlement statements",
    "approve_settlement": "Can approve settlement statements",
    "administer_program": "Can administer programs and enrollments",
}
_ACTIONS = ("add", "change", "delete", "view")

GRANTS: dict[str, tuple[tuple[str, str], ...]] = {
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
        *(
            ("metering", f"{action}_aggregatorparticipant")
            for action in ("add", "change", "view", "delete")
        ),
    ),
}


def _permission(apps: StateApps, app_label: str, codename: str) -> object:
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    if codename in _CUSTOM:
        model_name, name = "program", _CUSTOM[codename]
    else:
        action, model_name = codename.split("_", 1)
        if action not in _ACTIONS:
            raise ValueError(f"no permission {app_label}.{codename}")
        verbose_name = apps.get_model(app_label, model_name)._meta.verbose_name
        name = f"Can {action} {verbose_name}"
    content_type, _ = content_type_model.objects.get_or_create(
        app_label=app_label, model=model_name
    )
    permission, _ = permission_model.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return permission


def create_role_groups(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor | None) -> None:
    """Create each role group with exactly its permissions (creating those first)."""
    group_model = apps.get_model("auth", "Group")
    for role_name, grants in GRANTS.items():
        group, _ = group_model.objects.get_or_create(name=role_name)
        group.permissions.set(
            [_permission(apps, app_label, codename) for app_label, codename in grants]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_site_max_kw"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("metering", "0006_program_metering_settings_plural"),
        ("tariffs", "0003_retire_program_tariff"),
    ]

    # Reversing leaves the groups: people may have been added to them since.
    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
