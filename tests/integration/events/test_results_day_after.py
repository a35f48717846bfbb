"""Results the day after: ingesting an accepted event's readings measures its delivery and
tells the owner, with no beat task running (tasks in-process here; a real worker in
tests/integration/events/test_results_worker.py)."""

from decimal import Decimal

import pytest
from django.core import mail

from settlement.events import operations
from settlement.events.models import Delivery
from settlement.metering.models import Upload
from settlement.notices.models import Notification
from tests.event_fixtures import LOS_ANGELES
from tests.metering_fixtures import canonical
from tests.notice_fixtures import accepted_event_yesterday, evening_file, ingest

pytestmark = pytest.mark.django_db


def _no_sweep(**_: object) -> dict[str, int]:
    raise AssertionError("the beat sweep must not be what measures the delivery")


def test_ingesting_the_readings_of_an_accepted_event_measures_it_and_tells_the_owner(
    tasks_in_process, django_capture_on_commit_callbacks, monkeypatch
):
    accepted = accepted_event_yesterday()
    monkeypatch.setattr(operations, "measure_completed_events", _no_sweep)
    monkeypatch.setattr(operations, "measure_event", _no_sweep)

    with django_capture_on_commit_callbacks(execute=True):
        upload = ingest(evening_file(accepted))

    assert upload.status == Upload.Status.PROCESSED
    delivery = Delivery.objects.get(offer=accepted.offer, superseded_at__isnull=True)
    # 3,600 Wh + 3,500 Wh = 7,100 Wh in the event hours; under the 23 kWh the charger's
    # 11.5 kW commits over two hours, so all of it is paid: 7.1 kWh x $2.00 = $14.20.
    assert (delivery.delivered_wh, delivery.amount, delivery.settleable) == (
        Decimal(7100),
        Decimal("14.20"),
        True,
    )
    (notification,) = Notification.objects.all()
    assert (notification.user, notification.kind, notification.link) == (
        accepted.owner.user,
        "RESULTS_MEASURED",
        f"/offers/#offer-{accepted.offer.pk}",
    )
    (email,) = mail.outbox
    assert email.to == ["owner@example.com"]
    zone = accepted.start.astimezone(LOS_ANGELES).tzname()
    day = accepted.day
    # Local time with the zone and the year, whatever the year it is read in.
    when = f"{day:%b} {day.day}, {day.year}, 5:00 PM {zone} to 7:00 PM {zone}"
    assert email.subject == f"Results of your Program elrp event on {when}"
    assert (
        "you delivered 7.1 kWh, estimated $14.20, to be confirmed in your statement" in email.body
    )
    assert f"http://127.0.0.1:8000/offers/#offer-{accepted.offer.pk}" in email.body


def test_readings_outside_every_event_window_measure_nothing(
    tasks_in_process, django_capture_on_commit_callbacks
):
    accepted = accepted_event_yesterday()
    meter = accepted.owner.export.meter_id
    later = accepted.end + (accepted.end - accepted.start)
    # The hours after the event: no window or baseline of an ended event reaches them.
    content = canonical(f"{meter},{accepted.end.isoformat()},{later.isoformat()},900,,")

    with django_capture_on_commit_callbacks(execute=True):
        ingest(content, name="after.csv")

    assert not Delivery.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_results_are_told_once_however_often_the_readings_come(
    tasks_in_process, django_capture_on_commit_callbacks
):
    accepted = accepted_event_yesterday()

    with django_capture_on_commit_callbacks(execute=True):
        ingest(evening_file(accepted))
    with django_capture_on_commit_callbacks(execute=True):
        # A revision of the second hour: measured again ($14.00), not told again.
        ingest(evening_file(accepted, second_wh=3400), name="revised.csv")

    current = Delivery.objects.get(offer=accepted.offer, superseded_at__isnull=True)
    # 3,600 + 3,400 = 7,000 Wh: 7.0 kWh x $2.00 = $14.00.
    assert current.amount == Decimal("14.00")
    assert Delivery.objects.filter(offer=accepted.offer).count() == 2
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1
