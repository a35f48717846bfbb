"""Errors on the portal's, the staff area's and the sign-in forms look like errors.

A form posted with a bad value answers its page again with the error list as an alert
(role="alert" around the list, templates/django/forms/errors/list/ul.html), the field marked
aria-invalid and described by its errors, the typed value still in the field, and the
error in plain words beside the field, never a field's code name ("period: ...").
"""

import html
import re

import pytest
from django.test import Client

from accounts import operations as account_operations
from accounts.models import Membership
from tests.factories import MembershipFactory, ParticipantFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


def _alerts(page: str) -> list[str]:
    """Return the text of every element of `page` with role="alert", tags removed."""
    found = re.findall(r'<(\w+)[^>]*role="alert"[^>]*>(.*?)</\1>', page, flags=re.S)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split())) for _, body in found]


def _field(page: str, field_id: str) -> str:
    """Return the opening tag of the input, select or textarea `field_id`."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', page)
    assert match, f"no field {field_id}"
    return match.group(0)


def _staff(client: Client) -> None:
    groups = account_operations.ensure_staff_roles()
    staff = UserFactory(email="ops@utility.example.com", is_staff=True)
    staff.groups.add(*groups.values())
    client.force_login(staff)


def test_a_refused_period_is_shown_beside_its_field_in_plain_words(client):
    _staff(client)
    ProgramFactory(code="nbt-export", timezone="America/Los_Angeles")

    response = client.post(
        "/staff/settlement/runs/", {"program": "nbt-export", "period": "July", "type": "initial"}
    )

    page = response.content.decode()
    # Once, beside the field, without the code name "period:" the API's message starts with.
    assert _alerts(page) == ["'July' is not a month YYYY-MM"]
    period = _field(page, "id_period")
    assert 'aria-invalid="true"' in period and 'value="July"' in period
    assert "id_period_error" in period


def test_a_staff_form_keeps_what_was_typed_and_marks_each_bad_field(client):
    _staff(client)

    response = client.get(
        "/staff/rate-preview/", {"tariff": "x", "meter": "RM-1", "start": "July", "end": ""}
    )

    page = response.content.decode()
    assert _alerts(page) == [
        "Select a valid choice. x is not one of the available choices.",
        "Enter a valid date.",
        "This field is required.",
    ]
    for field_id in ("id_tariff", "id_start", "id_end"):
        assert 'aria-invalid="true"' in _field(page, field_id)
    assert 'aria-invalid="true"' not in _field(page, "id_meter")
    assert 'value="July"' in _field(page, "id_start")
    assert 'value="RM-1"' in _field(page, "id_meter")


def test_an_invitation_with_a_bad_address_answers_the_page_with_the_address_kept(client):
    participant = ParticipantFactory(name="Valley School District", kind="ORGANIZATION")
    manager = UserFactory(email="fleet@district.example.org")
    MembershipFactory(user=manager, participant=participant, role=Membership.Role.MANAGER)
    client.force_login(manager)

    response = client.post(
        f"/fleet/{participant.pk}/invite/", {"email": "board at district", "role": "VIEWER"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert _alerts(page) == ["Enter a valid email address."]
    email = _field(page, "id_email")
    assert 'aria-invalid="true"' in email and 'value="board at district"' in email
    assert Membership.objects.filter(participant=participant).count() == 1


def test_a_sign_in_refused_is_an_alert_and_keeps_the_address(client):
    UserFactory(email="ana@example.com")

    response = client.post(
        "/accounts/login/", {"username": "ana@example.com", "password": "not the password"}
    )

    page = response.content.decode()
    assert _alerts(page) == ["Your email and password didn't match. Please try again."]
    username = _field(page, "id_username")
    assert 'aria-invalid="true"' in username and 'value="ana@example.com"' in username
    password = _field(page, "id_password")
    # The password is never sent back.
    assert 'aria-invalid="true"' in password and "value=" not in password
