"""Once a statement paying an event is approved, the settled amount replaces the estimate
(and says why when they differ), and the owner is told the statement is ready."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts import operations as account_operations
from accounts import roles
from settlement.events.models import Delivery
from settlement.notices.models import Notification
from settlement.statements.models import Statement, StatementLine
from settlement.statements.review import decisions, event_results, ready
from tests.factories import UserFactory
from tests.notice_fixtures import accepted_event_yesterday, evening_file, ingest
from tests.released_statements import statement

pytestmark = pytest.mark.django_db


def _paid_by(accepted, delivery: Delivery, amount: str, *, state: str) -> Statement:
    """A January 2025 statement (tests.released_statements) with the event's line."""
    made = statement(
        accepted.owner.participant,
        accepted.event.program,
        round(Decimal(amount) * 100),
        "events",
        now=timezone.now(),
        state=state,
        book=False,
    )
    StatementLine.objects.create(
        statement=made,
        number=1,
        kind=StatementLine.Kind.ACCEPTED_OFFER,
        label="Delivered during the event",
        kwh=Decimal(delivery.delivered_wh or 0) / 1000,
        price=Decimal("2.00"),
        amount=Decimal(amount),
        detail={"offer_id": accepted.offer.pk, "delivery_id": delivery.pk},
    )
    return made


def _measured(accepted, django_capture_on_commit_callbacks, **hours: int) -> Delivery:
    with django_capture_on_commit_callbacks(execute=True):
        ingest(evening_file(accepted, **hours), name=f"evening-{len(mail.outbox)}.csv")
    return Delivery.objects.get(offer=accepted.offer, superseded_at__isnull=True)


def test_before_approval_the_offer_shows_the_estimate(
    tasks_in_process, django_capture_on_commit_callbacks
):
    accepted = accepted_event_yesterday()
    _measured(accepted, django_capture_on_commit_callbacks)

    (result,) = event_results.results_of(offers=[accepted.offer]).values()

    # 7,100 Wh x $2.00/kWh = $14.20, not settled yet.
    assert (result.estimate, result.settled, result.statement_id) == (
        Decimal("14.20"),
        None,
        None,
    )
    assert result.sentence == (
        "delivered 7.1 kWh, estimated $14.20, to be confirmed in your statement"
    )


def test_the_settled_amount_replaces_the_estimate_once_approved(
    tasks_in_process, django_capture_on_commit_callbacks
):
    accepted = accepted_event_yesterday()
    delivery = _measured(accepted, django_capture_on_commit_callbacks)
    paying = _paid_by(accepted, delivery, "14.20", state=Statement.State.APPROVED)

    (result,) = event_results.results_of(offers=[accepted.offer]).values()

    assert (result.settled, result.statement_id) == (Decimal("14.20"), paying.pk)
    assert result.sentence == "delivered 7.1 kWh, settled $14.20 in your January 2025 statement"


def test_a_draft_statement_does_not_replace_the_estimate(
    tasks_in_process, django_capture_on_commit_callbacks
):
    accepted = accepted_event_yesterday()
    delivery = _measured(accepted, django_capture_on_commit_callbacks)
    _paid_by(accepted, delivery, "14.20", state=Statement.State.NEEDS_REVIEW)

    (result,) = event_results.results_of(offers=[accepted.offer]).values()

    assert result.settled is None
    assert result.sentence.endswith("to be confirmed in your statement")


def test_a_settled_amount_that_differs_says_why(
    tasks_in_process, django_capture_on_commit_callbacks
):
    accepted = accepted_event_yesterday()
    _measured(accepted, django_capture_on_commit_callbacks)
    # The second hour revised to 3,400 Wh: 7,000 Wh x $2.00/kWh = $14.00.
    revised = _measured(accepted, django_capture_on_commit_callbacks, second_wh=3400)
    _paid_by(accepted, revised, "14.00", state=Statement.State.RELEASED)

    (result,) = event_results.results_of(offers=[accepted.offer]).values()

    # Told $14.20 first; settled $14.00: $0.20 less.
    assert (result.estimate, result.settled) == (Decimal("14.20"), Decimal("14.00"))
    assert result.sentence == (
        "delivered 7.0 kWh, settled $14.00 in your January 2025 statement: $0.20 less than "
        "the estimate of $14.20, because the delivery was measured again from revised "
        "readings after the estimate"
    )


def test_approving_the_statement_tells_the_owner_it_is_ready_with_its_events(
    tasks_in_process, django_capture_on_commit_callbacks, staff_roles
):
    accepted = accepted_event_yesterday()
    delivery = _measured(accepted, django_capture_on_commit_callbacks)
    paying = _paid_by(accepted, delivery, "14.20", state=Statement.State.NEEDS_REVIEW)
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(account_operations.ensure_staff_roles()[roles.APPROVER])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        decisions.approve(statement=paying, actor=approver, reason="checked", now=timezone.now())

    (email,) = mail.outbox
    day = accepted.day
    assert email.subject == "Your statement for January 2025 is ready: $14.20"
    assert "Your Program elrp statement for January 2025 is ready: $14.20." in email.body
    assert f"- Program elrp event on {day:%b} {day.day}, {day.year}, 5:00 PM " in email.body
    assert "delivered 7.1 kWh, settled $14.20 in your January 2025 statement" in email.body
    assert f"http://127.0.0.1:8000/statements/{paying.pk}/" in email.body
    assert Notification.objects.filter(kind="STATEMENT_READY").count() == 1


def test_a_statement_voided_before_the_task_runs_is_told_nothing():
    accepted = accepted_event_yesterday()
    voided = statement(
        accepted.owner.participant,
        accepted.event.program,
        1420,
        "voided",
        now=timezone.now(),
        state=Statement.State.VOIDED,
        book=False,
    )

    assert ready.tell_statement_ready(statement_id=voided.pk, now=timezone.now()) is False
    assert mail.outbox == []
