"""Notifications and calendar entries over HTTP: the portal page and menu count, the API
(list, unread count, mark read, preferences, .ics), the error shape and who sees what."""

import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership
from settlement.notices import operations as notices
from settlement.notices.models import Notification, NotificationKind
from tests.clients import signed_in
from tests.event_fixtures import Owner, dispatch, local_hour, offer_rules, program_with
from tests.factories import MembershipFactory, UserFactory
from tests.notice_fixtures import accepted_event_yesterday, evening_file, ingest

pytestmark = pytest.mark.django_db


def _told(participant_id: int, key: str, subject: str) -> None:
    notices.notify(
        participant_id=participant_id,
        message=notices.Message(
            kind=NotificationKind.PAYOUT_SENT,
            key=key,
            subject=subject,
            body=f"{subject}.",
            link="/payouts/",
        ),
        now=timezone.now(),
    )


@pytest.fixture
def measured(tasks_in_process, django_capture_on_commit_callbacks):
    accepted = accepted_event_yesterday()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(evening_file(accepted))
    return accepted


def test_the_menu_counts_unread_notifications_and_the_page_marks_them_read(measured):
    client = signed_in(measured.owner.user)
    notification = Notification.objects.get()

    home = client.get("/").content.decode()
    page = client.get("/notifications/").content.decode()
    opened = client.post(f"/notifications/{notification.pk}/open/")
    after = client.get("/notifications/").content.decode()

    assert 'data-unread="1">1<span class="visually-hidden"> unread</span>' in home
    assert "1 unread" in page and notification.subject in page
    assert (opened.status_code, opened["Location"]) == (302, notification.link)
    assert "Nothing unread." in after and 'data-unread="' not in after


def test_the_offer_page_and_dashboard_say_what_was_delivered_and_estimated(measured):
    client = signed_in(measured.owner.user)

    offers = client.get("/offers/").content.decode()
    home = client.get("/").content.decode()

    # 7.1 kWh x $2.00/kWh = $14.20.
    sentence = "delivered 7.1 kWh, estimated $14.20, to be confirmed in your statement"
    assert f"<strong>D{sentence[1:]}</strong>" in offers
    assert sentence in home
    assert f'href="/offers/{measured.offer.pk}/calendar.ics"' in offers


def test_unticking_a_kind_on_the_page_turns_it_off(measured):
    client = signed_in(measured.owner.user)
    ticked = [kind for kind in NotificationKind.values if kind != "PAYOUT_SENT"]

    response = client.post("/notifications/preferences/", {"kind": ticked})
    _told(measured.owner.participant.pk, "payout:9:sent", "Your payout of $14.20 was sent")

    assert response.status_code == 302
    assert not Notification.objects.filter(kind="PAYOUT_SENT").exists()
    assert [m.subject for m in mail.outbox] == [Notification.objects.get().subject]


def test_the_api_lists_counts_and_marks_read_only_the_callers(measured):
    owner = measured.owner.user
    _told(measured.owner.participant.pk, "payout:9:sent", "Your payout of $14.20 was sent")
    stranger = UserFactory(email="sam@example.com")
    MembershipFactory(user=stranger)
    client = signed_in(owner)

    listed = client.get("/api/v1/notifications/?unread=true").json()
    kinds = client.get("/api/v1/notifications/?kind=PAYOUT_SENT").json()
    unread = client.get("/api/v1/notifications/unread-count/").json()
    newest = listed["results"][0]["id"]
    foreign = signed_in(stranger).post(
        "/api/v1/notifications/read/", {"ids": [newest]}, format="json"
    )
    marked = client.post("/api/v1/notifications/read/", {"ids": [newest]}, format="json")
    everything = client.post("/api/v1/notifications/read/", {"all": True}, format="json")

    assert (listed["count"], listed["unread"], unread) == (2, 2, {"unread": 2})
    assert [n["subject"] for n in kinds["results"]] == ["Your payout of $14.20 was sent"]
    assert listed["results"][0]["emailed_to"] == "owner@example.com"
    assert foreign.json() == {"marked": 0, "unread": 0}
    assert marked.json() == {"marked": 1, "unread": 1}
    assert everything.json() == {"marked": 1, "unread": 0}
    assert signed_in(stranger).get("/api/v1/notifications/").json()["count"] == 0


def test_the_api_refuses_bad_input_naming_the_field(measured):
    client = signed_in(measured.owner.user)

    not_ids = client.post("/api/v1/notifications/read/", {"ids": ["first"]}, format="json")
    # Naming nothing marks nothing: the answer says how many stay unread.
    nothing = client.post("/api/v1/notifications/read/", {}, format="json")
    unknown = client.patch(
        "/api/v1/notifications/preferences/", {"preferences": {"SPAM": False}}, format="json"
    )
    not_bool = client.patch(
        "/api/v1/notifications/preferences/", {"preferences": {"NEW_OFFER": "no"}}, format="json"
    )
    bad_filter = client.get("/api/v1/notifications/?kind=SPAM")

    assert (not_ids.status_code, list(not_ids.json()["error"]["details"])) == (400, ["ids.0"])
    assert (nothing.status_code, nothing.json()) == (200, {"marked": 0, "unread": 1})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "preference_invalid"
    assert unknown.json()["error"]["details"] == {"field": "SPAM"}
    assert not_bool.json()["error"]["details"] == {"field": "NEW_OFFER"}
    assert bad_filter.status_code == 400 and "kind" in bad_filter.json()["error"]["details"]


def test_the_api_reads_and_changes_preferences(measured):
    client = signed_in(measured.owner.user)

    changed = client.patch(
        "/api/v1/notifications/preferences/",
        {"preferences": {"RESULTS_MEASURED": False}},
        format="json",
    )
    read = client.get("/api/v1/notifications/preferences/").json()

    assert changed.status_code == 200
    assert read["preferences"]["RESULTS_MEASURED"] is False
    assert read["preferences"]["NEW_OFFER"] is True
    assert sorted(read["preferences"]) == sorted(NotificationKind.values)


def test_the_calendar_entry_downloads_for_members_and_404s_for_strangers(measured):
    viewer = UserFactory(email="vic@example.com")
    MembershipFactory(
        user=viewer, participant=measured.owner.participant, role=Membership.Role.VIEWER
    )
    stranger = UserFactory(email="sam@example.com")
    path = f"/api/v1/offers/{measured.offer.pk}/calendar.ics"

    owner_api = signed_in(measured.owner.user).get(path, HTTP_ACCEPT="text/calendar")
    viewer_page = signed_in(viewer).get(f"/offers/{measured.offer.pk}/calendar.ics")
    strangers = signed_in(stranger).get(path)

    assert owner_api.status_code == 200
    assert owner_api["Content-Type"] == "text/calendar; charset=utf-8"
    (entry,) = icalendar.Calendar.from_ical(owner_api.content).walk("VEVENT")
    assert entry.decoded("DTSTART") == measured.start.astimezone(entry.decoded("DTSTART").tzinfo)
    assert str(entry["DTSTART"].params["TZID"]) == "America/Los_Angeles"
    assert viewer_page.status_code == 200
    assert viewer_page["Content-Disposition"] == (
        f'attachment; filename="event-{measured.event.pk}-offer-{measured.offer.pk}.ics"'
    )
    assert strangers.status_code == 404
    assert strangers.json()["error"]["code"] == "offer_not_found"


def test_an_open_offer_has_no_calendar_entry_409():
    program = program_with(offer_rules())
    owner = Owner(program)
    day = timezone.now().date()
    start = local_hour(day + dt.timedelta(days=3), 17)
    offer = dispatch(program, start, start + dt.timedelta(hours=2)).offers.get()

    response = signed_in(owner.user).get(f"/api/v1/offers/{offer.pk}/calendar.ics")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "offer_not_accepted"
