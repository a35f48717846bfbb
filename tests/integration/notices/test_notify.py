"""Every owner email goes through `notices.notify`: preferences honoured, told once per
thing, listed in the portal, amounts with currency and times with zone and year."""

import datetime as dt
from decimal import Decimal

import icalendar
import pytest
from django.core import mail

from accounts.models import Membership
from settlement.events import operations
from settlement.notices import operations as notices
from settlement.notices import queries
from settlement.notices.models import Notification, NotificationKind
from tests.event_fixtures import Owner, dispatch, local_hour, offer_rules, program_with
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 7, 15)
START, END = local_hour(DAY, 17), local_hour(DAY, 19)
NOW = START - dt.timedelta(hours=5)


def _message(key: str = "thing:1") -> notices.Message:
    return notices.Message(
        kind=NotificationKind.STATEMENT_READY,
        key=key,
        subject="Your statement is ready",
        body="It is ready.",
        link="/statements/1/",
    )


def test_a_turned_off_kind_sends_nothing_and_lists_nothing():
    program = program_with(offer_rules())
    owner = Owner(program)
    dispatch(program, START, END)
    notices.set_preferences(user=owner.user, changes={"NEW_OFFER": False}, now=NOW)

    sent = operations.send_offer_notices(now=NOW)

    # The offer counts as told (it is not offered again every minute), yet nothing left.
    assert sent == 1
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert queries.unread_count(user=owner.user) == 0


def test_a_kind_left_on_is_emailed_and_listed_unread_with_its_page():
    program = program_with(offer_rules())
    owner = Owner(program)
    dispatch(program, START, END)
    notices.set_preferences(user=owner.user, changes={"DEADLINE_REMINDER": False}, now=NOW)

    operations.send_offer_notices(now=NOW)

    (email,) = mail.outbox
    (notification,) = Notification.objects.all()
    assert (notification.kind, notification.emailed_to, notification.read_at) == (
        "NEW_OFFER",
        "owner@example.com",
        None,
    )
    assert notification.link.startswith("/offers/#offer-")
    assert email.subject == notification.subject
    assert f"See it in the portal: http://127.0.0.1:8000{notification.link}" in email.body
    assert "http://127.0.0.1:8000/notifications/#preferences" in email.body
    assert queries.unread_count(user=owner.user) == 1


def test_owners_and_managers_are_told_once_per_thing_and_a_viewer_is_not():
    owner = UserFactory(email="ola@example.com")
    membership = MembershipFactory(user=owner)
    participant = membership.participant
    manager = UserFactory(email="max@example.com")
    MembershipFactory(user=manager, participant=participant, role=Membership.Role.MANAGER)
    viewer = UserFactory(email="vic@example.com")
    MembershipFactory(user=viewer, participant=participant, role=Membership.Role.VIEWER)

    first = notices.notify(participant_id=participant.pk, message=_message(), now=NOW)
    again = notices.notify(participant_id=participant.pk, message=_message(), now=NOW)

    assert first.emailed == ["ola@example.com", "max@example.com"]
    assert again.emailed == [] and again.already == ["ola@example.com", "max@example.com"]
    assert sorted(m.to[0] for m in mail.outbox) == ["max@example.com", "ola@example.com"]
    assert not Notification.objects.filter(user=viewer).exists()


def test_one_person_turning_a_kind_off_leaves_the_others_told():
    owner = UserFactory(email="ola@example.com")
    participant = MembershipFactory(user=owner).participant
    manager = UserFactory(email="max@example.com")
    MembershipFactory(user=manager, participant=participant, role=Membership.Role.MANAGER)
    notices.set_preferences(user=manager, changes={"STATEMENT_READY": False}, now=NOW)

    told = notices.notify(participant_id=participant.pk, message=_message(), now=NOW)

    assert (told.emailed, told.turned_off) == (["ola@example.com"], ["max@example.com"])
    assert [m.to for m in mail.outbox] == [["ola@example.com"]]


def test_preferences_refuse_an_unknown_kind_or_a_value_not_true_or_false_changing_nothing():
    user = UserFactory()

    with pytest.raises(notices.PreferenceInvalid, match="SPAM: no such kind") as unknown:
        notices.set_preferences(user=user, changes={"NEW_OFFER": False, "SPAM": False}, now=NOW)
    with pytest.raises(notices.PreferenceInvalid, match="NEW_OFFER: 'no' is not true") as bad:
        notices.set_preferences(user=user, changes={"NEW_OFFER": "no"}, now=NOW)

    assert unknown.value.details == {"field": "SPAM"}
    assert bad.value.details == {"field": "NEW_OFFER"}
    assert all(queries.preferences_of(user=user).values())


def test_marking_read_counts_only_the_callers_unread_notifications():
    owner = UserFactory(email="ola@example.com")
    participant = MembershipFactory(user=owner).participant
    stranger = UserFactory(email="sam@example.com")
    MembershipFactory(user=stranger)
    for key in ("a", "b", "c"):
        notices.notify(participant_id=participant.pk, message=_message(key), now=NOW)
    first, *_ = queries.notifications_of(user=owner)

    one = notices.mark_read(user=stranger, notification_ids=[first.pk], now=NOW)
    mine = notices.mark_read(user=owner, notification_ids=[first.pk], now=NOW)
    rest = notices.mark_read(user=owner, notification_ids=None, now=NOW)

    assert (one, mine, rest) == (0, 1, 2)
    assert queries.unread_count(user=owner) == 0


def test_a_cancellation_email_carries_the_cancelled_calendar_entry(
    django_capture_on_commit_callbacks,
):
    program = program_with(offer_rules())
    owner = Owner(program)
    event = dispatch(program, START, END)
    offer = event.offers.get()
    operations.accept_offer(offer=offer, committed_kw=Decimal("5"), user=owner.user, now=NOW)

    # Cancellations leave after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        operations.cancel_event(event=event, now=NOW)

    (email,) = mail.outbox
    ((name, content, mimetype),) = email.attachments
    (entry,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert (name, mimetype) == (f"event-{event.pk}-offer-{offer.pk}.ics", "text/calendar")
    # The first version was modification 0; the cancellation is 1.
    assert (str(entry["STATUS"]), int(entry["SEQUENCE"])) == ("CANCELLED", 1)
    assert Notification.objects.get().kind == "OFFER_CHANGED"


def test_an_offer_never_accepted_is_told_of_the_cancellation_without_an_entry(
    django_capture_on_commit_callbacks,
):
    program = program_with(offer_rules())
    Owner(program)
    event = dispatch(program, START, END)

    with django_capture_on_commit_callbacks(execute=True):
        operations.cancel_event(event=event, now=NOW)

    (email,) = mail.outbox
    assert email.attachments == []


def test_a_change_to_an_accepted_event_emails_the_moved_calendar_entry():
    program = program_with(offer_rules())
    owner = Owner(program)
    event = dispatch(program, START, END)
    offer = event.offers.get()
    operations.send_offer_notices(now=NOW)
    operations.accept_offer(offer=offer, committed_kw=None, user=owner.user, now=NOW)
    later = operations.EventTerms(
        starts_at=local_hour(DAY, 18),
        ends_at=local_hour(DAY, 20),
        response_deadline=local_hour(DAY, 16),
        kind="EMERGENCY",
        price_per_kwh=Decimal("2.00"),
    )
    operations.modify_event(event=event, terms=later, now=NOW)

    operations.send_offer_notices(now=NOW)

    new, changed = mail.outbox
    assert new.attachments == []  # not accepted yet: nothing for a calendar
    ((_, content, _),) = changed.attachments
    (entry,) = icalendar.Calendar.from_ical(content).walk("VEVENT")
    # Modification 1, 18:00 local (PDT) now, and still confirmed until the owner answers.
    assert (int(entry["SEQUENCE"]), entry.decoded("DTSTART").hour, str(entry["STATUS"])) == (
        1,
        18,
        "CONFIRMED",
    )
    assert [n.kind for n in Notification.objects.order_by("pk")] == ["NEW_OFFER", "OFFER_CHANGED"]
