"""An accepted offer's event as an .ics entry: local times in the program's zone, a stable
UID, SEQUENCE following the event's modifications, STATUS:CANCELLED once cancelled."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import icalendar
import pytest

from settlement.events import calendar, operations
from tests.event_fixtures import Owner, dispatch, local_hour, offer_rules, program_with

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 7, 15)
START, END = local_hour(DAY, 17), local_hour(DAY, 19)
NOW = START - dt.timedelta(hours=5)
STAMP = dt.datetime(2025, 7, 15, 12, 0, tzinfo=dt.UTC)
LA = ZoneInfo("America/Los_Angeles")


def _entry(offer):
    offer.refresh_from_db()
    parsed = icalendar.Calendar.from_ical(calendar.entry(offer=offer, stamp=STAMP))
    (event,) = parsed.walk("VEVENT")
    return parsed, event


def _accepted():
    program = program_with(offer_rules())
    owner = Owner(program)
    event = dispatch(program, START, END)
    offer = event.offers.get()
    operations.accept_offer(offer=offer, committed_kw=Decimal("7.5"), user=owner.user, now=NOW)
    return event, offer


def test_the_entry_has_the_events_local_times_in_the_programs_zone():
    _, offer = _accepted()

    parsed, entry = _entry(offer)

    # 17:00 to 19:00 on Jul 15, 2025 in Los Angeles (PDT, UTC-7): 00:00 to 02:00 UTC the next day.
    assert entry.decoded("DTSTART") == dt.datetime(2025, 7, 15, 17, 0, tzinfo=LA)
    assert entry.decoded("DTEND") == dt.datetime(2025, 7, 15, 19, 0, tzinfo=LA)
    assert entry["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert entry.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(
        2025, 7, 16, 0, 0, tzinfo=dt.UTC
    )
    assert [str(zone["TZID"]) for zone in parsed.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    assert (str(entry["UID"]), int(entry["SEQUENCE"]), str(entry["STATUS"])) == (
        f"offer-{offer.pk}@127.0.0.1",
        0,
        "CONFIRMED",
    )
    assert "You committed 7.5 kW." in str(entry["DESCRIPTION"])
    assert "$2.00/kWh" in str(entry["DESCRIPTION"])
    assert str(entry["URL"]) == f"http://127.0.0.1:8000/offers/#offer-{offer.pk}"


def test_a_modified_event_keeps_the_uid_and_raises_the_sequence_then_cancelled():
    event, offer = _accepted()
    later = operations.EventTerms(
        starts_at=local_hour(DAY, 18),
        ends_at=local_hour(DAY, 20),
        response_deadline=local_hour(DAY, 16),
        kind="EMERGENCY",
        price_per_kwh=Decimal("2.50"),
    )

    operations.modify_event(event=event, terms=later, now=NOW)
    _, moved = _entry(offer)
    operations.cancel_event(event=event, now=NOW)
    _, cancelled = _entry(offer)

    assert (str(moved["UID"]), int(moved["SEQUENCE"]), str(moved["STATUS"])) == (
        f"offer-{offer.pk}@127.0.0.1",
        1,
        "CONFIRMED",
    )
    assert moved.decoded("DTSTART") == dt.datetime(2025, 7, 15, 18, 0, tzinfo=LA)
    assert (str(cancelled["UID"]), int(cancelled["SEQUENCE"]), str(cancelled["STATUS"])) == (
        f"offer-{offer.pk}@127.0.0.1",
        2,
        "CANCELLED",
    )
    assert str(cancelled["SUMMARY"]).startswith("Cancelled: ")


def test_an_offer_not_accepted_has_no_entry():
    program = program_with(offer_rules())
    Owner(program)
    offer = dispatch(program, START, END).offers.get()

    with pytest.raises(calendar.NotAccepted, match="waiting for an answer"):
        calendar.require_calendar(offer)
