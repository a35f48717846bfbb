"""Owners created by an enrollment import are invited to set a password, and can."""

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from io import StringIO

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.management import call_command

from accounts import operations
from accounts.enrollment_file import read_enrollment_file
from accounts.models import User
from tests.enrollment_import import import_owner

LINK = re.compile(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")
LATER = dt.datetime(2025, 3, 5, 9, tzinfo=dt.UTC)


def _link_in(message: mail.EmailMessage) -> str:
    match = LINK.search(str(message.body))
    assert match, message.body
    return match.group(1)


@pytest.fixture
def invite_owners(django_capture_on_commit_callbacks):
    def run(*options: str) -> dict[str, object]:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("invite_owners", *options, stdout=out)
        return json.loads(out.getvalue())

    return run


@pytest.fixture(autouse=True)
def _links_point_at_the_test_server(settings):
    settings.SITE_URL = "http://testserver"


@pytest.mark.django_db
def test_an_imported_owner_has_no_password_and_is_emailed_a_one_time_link(imported_owner):
    # The fixture imported the owner; its invitation was sent when the row committed.
    assert not imported_owner.has_usable_password()
    assert imported_owner.invited_at == dt.datetime(2025, 2, 20, 17, tzinfo=dt.UTC)
    assert [message.to for message in mail.outbox] == [["ines@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "Your V2G Settlement account: set your password"
    assert "enrolled in Net billing export credits" in message.body
    assert "expires in 7 days" in message.body
    _uid, token = _link_in(message).strip("/").split("/")[-2:]
    assert default_token_generator.check_token(imported_owner, token)


@pytest.mark.django_db
def test_the_link_sets_the_password_signs_the_owner_in_and_works_only_once(client, imported_owner):
    link = _link_in(mail.outbox[0])

    # Django moves the token out of the address before showing the form.
    form_page = client.get(link, follow=True)
    assert b"Set your password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase", "new_password2": "a-long-new-passphrase"},
    )

    assert done.status_code == 302
    assert done["Location"] == "/"
    assert b"Welcome, Ines Importada" in client.get("/").content
    imported_owner.refresh_from_db()
    assert imported_owner.check_password("a-long-new-passphrase")
    client.logout()
    again = client.get(link, follow=True)
    assert b"Link expired" in again.content


@pytest.mark.django_db
def test_importing_the_same_owner_again_sends_no_second_invitation(
    imported_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_owner(
            email="ines@example.com",
            name="Ines Importada",
            program_code="nbt-export",
            site_account="PDE-777",
            meter_id="RM-777",
        )

    assert callbacks == []

    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_forgot_password_reaches_an_owner_who_never_set_one(client, imported_owner):
    mail.outbox.clear()

    response = client.post("/accounts/password_reset/", {"email": "INES@example.com"})

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["ines@example.com"]]
    assert LINK.search(str(mail.outbox[0].body))


@pytest.mark.django_db
def test_forgot_password_does_not_reach_an_account_staff_disabled(client, imported_owner):
    mail.outbox.clear()
    imported_owner.is_active = False
    imported_owner.save(update_fields=["is_active"])

    client.post("/accounts/password_reset/", {"email": "ines@example.com"})

    assert mail.outbox == []


@pytest.mark.django_db
def test_forgot_password_does_not_reach_a_used_account_whose_password_staff_disabled(
    client, imported_owner
):
    mail.outbox.clear()
    imported_owner.last_login = LATER
    imported_owner.set_unusable_password()
    imported_owner.save(update_fields=["last_login", "password"])

    client.post("/accounts/password_reset/", {"email": "ines@example.com"})

    assert mail.outbox == []


@pytest.mark.django_db
def test_invite_owners_leaves_invited_owners_alone_unless_asked_to_resend(
    imported_owner, invite_owners
):
    first_link = _link_in(mail.outbox[0])
    mail.outbox.clear()

    assert invite_owners() == {"invited": 0, "already_invited": 1, "emails": []}
    assert mail.outbox == []

    assert invite_owners("--resend") == {
        "invited": 1,
        "already_invited": 0,
        "emails": ["ines@example.com"],
    }
    second_link = _link_in(mail.outbox[0])
    assert second_link != first_link
    imported_owner.refresh_from_db()
    first_token = first_link.strip("/").split("/")[-1]
    second_token = second_link.strip("/").split("/")[-1]
    # Resending retires every earlier link.
    assert not default_token_generator.check_token(imported_owner, first_token)
    assert default_token_generator.check_token(imported_owner, second_token)


@pytest.mark.django_db
def test_invite_owners_invites_owners_imported_without_invitation_by_program(
    imported_owner, invite_owners
):
    operations.create_program(
        code="elrp", name="Emergency", utility="PTE", timezone="America/Los_Angeles", now=LATER
    )
    stream_row = (
        "bo@example.com,Bo,INDIVIDUAL,elrp,PDE-888,America/Los_Angeles,RM-888,SITE_EXPORT,,,"
        "2025-03-01"
    )
    header = (
        "participant_email,participant_name,participant_kind,program_code,site_account,"
        "site_timezone,meter_id,channel_kind,charger_id,charger_max_kw,enrollment_start"
    )
    from_file = operations.import_enrollments(
        rows=_rows(f"{header}\n{stream_row}\n"), now=LATER, invite=False
    )
    assert from_file.created == 1
    mail.outbox.clear()

    summary = invite_owners("--program", "elrp")

    assert summary == {"invited": 1, "already_invited": 0, "emails": ["bo@example.com"]}
    assert [message.to for message in mail.outbox] == [["bo@example.com"]]
    assert User.objects.get(email="bo@example.com").invited_at is not None


@pytest.mark.django_db
def test_an_owner_who_set_a_password_is_not_invited_again(imported_owner, invite_owners):
    imported_owner.set_password("chosen-by-the-owner")
    imported_owner.save(update_fields=["password"])
    mail.outbox.clear()

    assert invite_owners("--resend")["invited"] == 0
    assert mail.outbox == []


def _rows(text: str) -> Iterator[object]:
    return read_enrollment_file(io.BytesIO(text.encode()))
