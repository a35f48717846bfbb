"""The staff page where program administrators invite staff and change roles."""

import pytest
from django.core import mail

from accounts import roles
from accounts.models import User
from tests.factories import UserFactory


@pytest.fixture
def administrator(staff_roles):
    user = UserFactory(email="boss@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    return user


def _roles_of(email: str) -> list[str]:
    return sorted(User.objects.get(email=email).groups.values_list("name", flat=True))


@pytest.mark.django_db
def test_an_administrator_invites_an_approver(
    client_for, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(administrator).post(
            "/staff/members/",
            {
                "email": "appr@utility.example.com",
                "full_name": "Ann Approver",
                "roles": ["approver"],
            },
            follow=True,
        )

    assert response.status_code == 200
    assert b"appr@utility.example.com: created and invited to set a password." in response.content
    assert _roles_of("appr@utility.example.com") == ["approver"]
    assert [message.to for message in mail.outbox] == [["appr@utility.example.com"]]


@pytest.mark.django_db
def test_an_administrator_cannot_change_their_own_roles(client_for, administrator):
    response = client_for(administrator).post(
        "/staff/members/", {"email": administrator.email, "roles": ["approver"]}
    )

    assert response.status_code == 200
    assert b"nobody changes their own roles" in response.content
    assert _roles_of(administrator.email) == ["program administrator"]


@pytest.mark.django_db
def test_a_reviewer_sees_the_list_but_cannot_grant(client_for, reviewer):
    page = client_for(reviewer).get("/staff/members/")
    response = client_for(reviewer).post(
        "/staff/members/", {"email": "new@utility.example.com", "roles": ["program_admin"]}
    )

    assert b"reviewer@utility.example.com" in page.content
    assert b"Save staff member" not in page.content
    assert b"does not administer programs" in response.content
    assert not User.objects.filter(email="new@utility.example.com").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("members", [3, 60])
def test_the_list_takes_the_same_queries_at_any_size(
    client_for, administrator, django_assert_num_queries, members
):
    for number in range(members):
        UserFactory(email=f"staff{number:03}@utility.example.com", is_staff=True)
    client = client_for(administrator)

    # session, user, user's permissions (twice: groups then user perms),
    # count, page, the page's groups, the menu's unread notifications
    with django_assert_num_queries(8):
        response = client.get("/staff/members/")

    assert response.status_code == 200
