"""An owner's accepted event that ended yesterday evening, and its readings as a meter file.

The measurement task reads the real clock, so the event is placed relative to it: the
day before today in Los Angeles, 17:00 to 19:00 local, within the 60 days deliveries are
measured for.
"""

import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone

from settlement.events import operations
from settlement.events.models import DispatchEvent, Offer
from settlement.metering import operations as metering_operations
from settlement.metering.models import Upload
from tests.event_fixtures import LOS_ANGELES, Owner, dispatch, local_hour, offer_rules, program_with
from tests.metering_fixtures import canonical


@dataclass(frozen=True)
class AcceptedEvent:
    """An owner, the event they accepted (ended), and its offer."""

    owner: Owner
    event: DispatchEvent
    offer: Offer
    day: dt.date
    start: dt.datetime
    end: dt.datetime


def accepted_event_yesterday(*, email: str = "owner@example.com") -> AcceptedEvent:
    """Return an ACCEPTED_OFFER event at $2.00/kWh yesterday 17:00-19:00 local, accepted
    without a commitment (the charger's 11.5 kW: 23 kWh over two hours)."""
    day = timezone.now().astimezone(LOS_ANGELES).date() - dt.timedelta(days=1)
    start, end = local_hour(day, 17), local_hour(day, 19)
    program = program_with(offer_rules())
    owner = Owner(program, email=email)
    event = dispatch(program, start, end, now=start - dt.timedelta(days=1))
    offer = Offer.objects.get(event=event, participant=owner.participant)
    operations.accept_offer(
        offer=offer, committed_kw=None, user=owner.user, now=start - dt.timedelta(hours=2)
    )
    offer.refresh_from_db()
    return AcceptedEvent(owner=owner, event=event, offer=offer, day=day, start=start, end=end)


def evening_file(accepted: AcceptedEvent, first_wh: int = 3600, second_wh: int = 3500) -> bytes:
    """Return the export readings of the event's two hours as a canonical meter file."""
    meter = accepted.owner.export.meter_id
    hour = dt.timedelta(hours=1)
    return canonical(
        f"{meter},{accepted.start.isoformat()},{(accepted.start + hour).isoformat()},{first_wh},,",
        f"{meter},{(accepted.start + hour).isoformat()},{accepted.end.isoformat()},{second_wh},,",
    )


def ingest(content: bytes, name: str = "evening.csv") -> Upload:
    """Ingest a meter file as the `ingest` command does (staff source, inline)."""
    return metering_operations.ingest(
        stream=io.BytesIO(content), filename=name, now=timezone.now()
    ).upload
