"""Shared fixtures: users in each role, API clients."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts import operations, roles
from accounts.models import Participant, User
from config.celery import app as celery_app
from tests.clients import signed_in
from tests.enrollment_import import IMPORTED_AT, import_owner
from tests.factories import MembershipFactory, ParticipantFactory, UserFactory

# Every test keeps uploaded files in its own temporary folder, never under var/.
from tests.metering_fixtures import media_in_tmp  # noqa: F401 - an autouse fixture

# With a broker, a transactional test's tasks finish before its tables are emptied.
from tests.shared_worker import shared_worker_done_before_flush  # noqa: F401 - autouse


@pytest.fixture
def staff_roles(db: None) -> dict[str, object]:
    return operations.ensure_staff_roles()


@pytest.fixture
def make_owner(db: None) -> Callable[..., User]:
    def make(email: str = "owner@example.com", **participant_fields: object) -> User:
        participant = ParticipantFactory(email=email, **participant_fields)
        user = UserFactory(email=email)
        MembershipFactory(user=user, participant=participant)
        return user

    return make


@pytest.fixture
def owner(make_owner: Callable[..., User]) -> User:
    return make_owner("owner@example.com", name="Olivia Owner")


@pytest.fixture
def owner_participant(owner: User) -> Participant:
    return Participant.objects.get(email=owner.email)


@pytest.fixture
def reviewer(staff_roles: dict[str, object]) -> User:
    user = UserFactory(email="reviewer@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.REVIEWER])
    return user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return signed_in


@pytest.fixture
def imported_owner(db: None, django_capture_on_commit_callbacks: Callable[..., Any]) -> User:
    """An owner as production makes one: imported, no password, invitation sent."""
    operations.create_program(
        code="nbt-export",
        name="Net billing export credits",
        utility="Pacific Test Electric",
        timezone="America/Los_Angeles",
        now=IMPORTED_AT,
    )
    # Invitations leave when the import's transaction commits; tests run inside one.
    with django_capture_on_commit_callbacks(execute=True):
        return import_owner(
            email="ines@example.com",
            name="Ines Importada",
            program_code="nbt-export",
            site_account="PDE-777",
            meter_id="RM-777",
        )


@pytest.fixture
def tasks_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run Celery tasks in this process (and a live server's threads), where the test's
    database and fakes are; with a broker (CI) the suite's shared worker would take them.

    The one way tests make tasks eager; monkeypatch puts the setting back after the test.
    """
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture(autouse=True)
def throttle_counters_per_test() -> Iterator[None]:
    """Start every test with no sign-in throttle counts (they live in the cache)."""
    cache.clear()
    yield
    cache.clear()
