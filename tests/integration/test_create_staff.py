"""`create_staff` makes staff accounts with roles and invites them; refused input changes nothing."""

import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command

from accounts import operations, roles
from accounts.models import User
from settlement.outcomes import Outcome
from tests.factories import MembershipFactory, ParticipantFactory, UserFactory

NOW = dt.datetime(2026, 1, 5, 17, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _links_point_at_the_test_server(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def create_staff(django_capture_on_commit_callbacks):
    def run(*arguments: str) -> tuple[int, dict[str, object]]:
        out = StringIO()
        code = 0
        with django_capture_on_commit_callbacks(execute=True):
            try:
                call_command("create_staff", *arguments, stdout=out)
            except SystemExit as exit_:
                code = int(str(exit_.code))
        return code, json.loads(out.getvalue())

    return run


def _roles_of(email: str) -> list[str]:
    return sorted(User.objects.get(email=email).groups.values_list("name", flat=True))


@pytest.mark.django_db
def test_a_new_staff_member_gets_roles_and_a_staff_invitation(create_staff):
    code, summary = create_staff(
        "--email", "Rita@Utility.example.com", "--role", "reviewer", "--role", "program_admin"
    )

    assert code == 0
    assert summary == {
        "email": "rita@utility.example.com",
        "outcome": "created",
        "roles": ["reviewer", "program_admin"],
        "invited": True,
    }
    user = User.objects.get(email="rita@utility.example.com")
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, True, False)
    assert not user.has_usable_password()
    assert _roles_of(user.email) == ["program administrator", "reviewer"]
    assert [message.to for message in mail.outbox] == [["rita@utility.example.com"]]
    body = str(mail.outbox[0].body)
    assert "staff account at V2G Settlement as reviewer and program administrator" in body
    assert re.search(r"http://testserver/accounts/reset/[^/\s]+/[^/\s]+/", body)


@pytest.mark.django_db
def test_an_unknown_role_is_refused_and_creates_nobody(create_staff):
    code, body = create_staff("--email", "x@utility.example.com", "--role", "superuser")

    assert code == 2
    assert body["error"]["code"] == "unknown_role"
    assert body["error"]["details"]["unknown"] == ["superuser"]
    assert not User.objects.filter(email="x@utility.example.com").exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_existing_staff_member_gets_exactly_the_new_roles_and_keeps_their_password(
    create_staff,
):
    create_staff("--email", "amy@utility.example.com", "--role", "approver")
    user = User.objects.get(email="amy@utility.example.com")
    user.set_password("her-own-password-1")
    user.save()
    mail.outbox.clear()

    code, summary = create_staff("--email", "amy@utility.example.com", "--role", "reviewer")

    assert (code, summary["outcome"], summary["invited"]) == (0, "updated", False)
    assert _roles_of("amy@utility.example.com") == ["reviewer"]
    assert User.objects.get(email="amy@utility.example.com").check_password("her-own-password-1")
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_owner_account_is_not_made_staff(create_staff):
    owner = UserFactory(email="owner@example.com")
    MembershipFactory(user=owner, participant=ParticipantFactory(email="owner@example.com"))

    code, body = create_staff("--email", "owner@example.com", "--role", "approver")

    assert (code, body["error"]["code"]) == (2, "not_staff_account")
    owner.refresh_from_db()
    assert (owner.is_staff, list(owner.groups.all())) == (False, [])


@pytest.mark.django_db
def test_the_last_program_administrator_keeps_the_role(create_staff):
    create_staff("--email", "boss@utility.example.com", "--role", "program_admin")

    code, body = create_staff("--email", "boss@utility.example.com", "--role", "reviewer")

    assert (code, body["error"]["code"]) == (2, "last_program_administrator")
    assert _roles_of("boss@utility.example.com") == ["program administrator"]


@pytest.mark.django_db
def test_a_second_administrator_lets_the_first_step_down(create_staff):
    create_staff("--email", "boss@utility.example.com", "--role", "program_admin")
    create_staff("--email", "next@utility.example.com", "--role", "program_admin")

    code, _summary = create_staff("--email", "boss@utility.example.com", "--role", "reviewer")

    assert code == 0
    assert _roles_of("boss@utility.example.com") == ["reviewer"]


@pytest.mark.django_db
def test_nobody_changes_their_own_roles(create_staff):
    create_staff("--email", "boss@utility.example.com", "--role", "program_admin")
    boss = User.objects.get(email="boss@utility.example.com")

    with pytest.raises(operations.OwnRoles):
        operations.save_staff_member(
            email="BOSS@utility.example.com",
            role_codes=["program_admin", "approver"],
            granted_by=boss,
            now=NOW,
        )

    assert _roles_of("boss@utility.example.com") == ["program administrator"]


@pytest.mark.django_db
def test_a_reviewer_may_not_grant_roles(create_staff):
    create_staff("--email", "rev@utility.example.com", "--role", "reviewer")
    reviewer = User.objects.get(email="rev@utility.example.com")

    with pytest.raises(operations.NotProgramAdministrator):
        operations.save_staff_member(
            email="new@utility.example.com", role_codes=["approver"], granted_by=reviewer, now=NOW
        )

    assert not User.objects.filter(email="new@utility.example.com").exists()


@pytest.mark.django_db
def test_an_administrator_invites_another(create_staff):
    create_staff("--email", "boss@utility.example.com", "--role", "program_admin")
    boss = User.objects.get(email="boss@utility.example.com")

    summary = operations.save_staff_member(
        email="appr@utility.example.com", role_codes=["approver"], granted_by=boss, now=NOW
    )

    assert (summary.outcome, summary.roles, summary.invited) == (
        Outcome.CREATED,
        ["approver"],
        True,
    )
    assert Group.objects.get(name=roles.APPROVER).user_set.get().email == (
        "appr@utility.example.com"
    )
