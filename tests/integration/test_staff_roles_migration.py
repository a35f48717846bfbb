"""The staff role groups exist after `migrate`, with exactly the permissions roles.py grants."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from accounts import roles

migration = importlib.import_module("accounts.migrations.0004_staff_role_groups")


def _granted() -> dict[str, set[tuple[str, str]]]:
    return {
        group.name: set(group.permissions.values_list("content_type__app_label", "codename"))
        for group in Group.objects.filter(name__in=roles.ROLE_PERMISSIONS)
    }


@pytest.mark.django_db
def test_the_migration_creates_the_permissions_it_grants_before_post_migrate_would():
    # Given a database where post_migrate has not yet created any permission or group
    Group.objects.all().delete()
    Permission.objects.all().delete()

    # When the data migration runs
    migration.create_role_groups(apps, None)

    # Then every role exists with exactly the permissions roles.py grants
    assert _granted() == {name: set(grants) for name, grants in roles.ROLE_PERMISSIONS.items()}
    assert Permission.objects.get(codename="review_settlement").name == (
        "Can review settlement statements"
    )
    assert Permission.objects.get(codename="view_tariffplan").name == "Can view tariff plan"


def test_the_frozen_grants_match_the_roles_module():
    # A change to ROLE_PERMISSIONS needs a migration that brings existing groups along.
    assert migration.GRANTS == roles.ROLE_PERMISSIONS


@pytest.mark.django_db
def test_running_it_twice_changes_nothing():
    migration.create_role_groups(apps, None)
    before = (Group.objects.count(), Permission.objects.count(), _granted())

    migration.create_role_groups(apps, None)

    assert (Group.objects.count(), Permission.objects.count(), _granted()) == before
