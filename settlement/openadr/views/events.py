"""`events`: our dispatch events, created, modified and cancelled by business-logic clients.

An OpenADR event becomes a `DispatchEvent` through the staff page's operation: its one
interval is the window, `EXPORT_PRICE` the price, `EXPORT_CAPACITY_LIMIT` the target kW.
The response deadline and the event kind, which OpenADR does not carry, come from the
program's OpenADR settings (defaults: ECONOMIC, 60 minutes before the start).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import Program
from settlement.events import operations as event_operations
from settlement.events.models import DispatchEvent
from settlement.openadr import operations, present, problems, queries, scopes, wire
from settlement.openadr.credentials import Grant
from settlement.openadr.http import (
    Endpoint,
    json_response,
    page,
    page_of,
    require,
    targets_param,
)
from settlement.openadr.models import OpenADRClient, Ven

READ = (scopes.READ_ALL, scopes.READ_TARGETS)
# The columns' scale: a price with more places or a limit below a watt would be rounded.
PRICE_PLACES = 5
KW_PLACES = 3


@dataclass(frozen=True)
class EventInput:
    """An OpenADR event body, translated."""

    program: Program
    terms: event_operations.EventTerms
    event_name: str
    priority: int | None
    # Meter or charger ids; empty: every eligible enrollment of the program.
    targets: list[str]


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _window(body: dict[str, Any], interval: dict[str, Any]) -> tuple[datetime, timedelta]:
    # An interval's own period wins; many clients give the window only at the event level.
    period = interval.get("intervalPeriod") or body.get("intervalPeriod")
    field = "intervals[0].intervalPeriod" if interval.get("intervalPeriod") else "intervalPeriod"
    if period is None:
        raise problems.bad_request(
            "intervalPeriod: the event or its interval needs a start and a duration"
        )
    period = wire.mapping(period, field=field)
    start = wire.parse_instant(period.get("start"), field=f"{field}.start")
    raw_duration = period.get("duration") or body.get("duration")
    duration = wire.parse_duration(raw_duration, field=f"{field}.duration")
    if duration <= timedelta(0):
        raise problems.bad_request(f"{field}.duration: must be longer than zero")
    return start, duration


def _payloads(interval: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
    field = "intervals[0].payloads"
    price: Decimal | None = None
    limit: Decimal | None = None
    for index, raw in enumerate(wire.array(interval.get("payloads"), field=field)):
        payload = wire.mapping(raw, field=f"{field}[{index}]")
        values = wire.array(payload.get("values"), field=f"{field}[{index}].values")
        if len(values) != 1:
            raise problems.bad_request(f"{field}[{index}].values: exactly one value is required")
        value = wire.number(values[0], field=f"{field}[{index}].values[0]")
        kind = payload.get("type")
        if kind == present.EXPORT_PRICE:
            if value < 0 or _places(value) > PRICE_PLACES:
                raise problems.bad_request(
                    f"{field}[{index}].values[0]: a price of 0 or more with at most "
                    f"{PRICE_PLACES} decimal places is required"
                )
            price = value
        elif kind == present.EXPORT_CAPACITY_LIMIT:
            if value <= 0 or _places(value) > KW_PLACES:
                raise problems.bad_request(
                    f"{field}[{index}].values[0]: a limit above 0 kW with at most "
                    f"{KW_PLACES} decimal places is required"
                )
            limit = value
        else:
            raise problems.bad_request(
                f"{field}[{index}].type: {kind!r} is not supported "
                f"(use {present.EXPORT_PRICE} and optionally {present.EXPORT_CAPACITY_LIMIT})"
            )
    if price is None:
        raise problems.bad_request(f"{field}: an {present.EXPORT_PRICE} payload is required")
    return price, limit


def _check_descriptors(body: dict[str, Any], program: Program) -> None:
    descriptors = wire.array(
        body.get("payloadDescriptors"), field="payloadDescriptors", optional=True
    )
    for index, raw in enumerate(descriptors):
        descriptor = wire.mapping(raw, field=f"payloadDescriptors[{index}]")
        if descriptor.get("payloadType") != present.EXPORT_PRICE:
            continue
        currency = descriptor.get("currency")
        if currency not in (None, program.currency):
            raise problems.bad_request(
                f"payloadDescriptors[{index}].currency: the program pays in {program.currency}"
            )
        if descriptor.get("units") not in (None, "KWH"):
            raise problems.bad_request(
                f"payloadDescriptors[{index}].units: an {present.EXPORT_PRICE} is per KWH"
            )


def event_input(*, body: dict[str, Any], grant_program: Program | None, grant: Grant) -> EventInput:
    """Return the event body translated to our terms (400 problem naming the field at fault).

    `grant_program` is the program of the event being modified, which cannot change.
    """
    program_id = wire.text(body.get("programID"), field="programID")
    if grant_program is not None and program_id != grant_program.code:
        raise problems.bad_request("programID: an event cannot move to another program")
    program = queries.programs_for(grant=grant).filter(code=program_id).first()
    if program is None:
        raise problems.bad_request(f"programID: no program {program_id}")
    targets = [
        wire.text(item, field=f"targets[{index}]")
        for index, item in enumerate(
            wire.array(body.get("targets"), field="targets", optional=True)
        )
    ]
    intervals = wire.array(body.get("intervals"), field="intervals")
    if len(intervals) != 1:
        raise problems.bad_request(
            "intervals: exactly one interval (the event's window) is supported"
        )
    interval = wire.mapping(intervals[0], field="intervals[0]")
    start, duration = _window(body, interval)
    price, limit = _payloads(interval)
    _check_descriptors(body, program)
    settings = queries.program_settings(program=program)
    return EventInput(
        program=program,
        terms=event_operations.EventTerms(
            starts_at=start,
            ends_at=start + duration,
            response_deadline=start - timedelta(minutes=settings.response_minutes_before_start),
            kind=settings.event_kind,
            price_per_kwh=price,
            target_kw=limit,
            signal=(
                DispatchEvent.Signal.EXPORT_CAPACITY_LIMIT
                if limit is not None
                else DispatchEvent.Signal.EXPORT_PRICE
            ),
        ),
        event_name=wire.text(body.get("eventName"), field="eventName", optional=True),
        priority=wire.non_negative_int(body.get("priority"), field="priority", optional=True),
        targets=list(dict.fromkeys(targets)),
    )


def _writer(grant: Grant) -> OpenADRClient:
    require(grant, scopes.WRITE_EVENTS)
    client = grant.client
    if client.role != OpenADRClient.Role.BL:
        raise problems.forbidden("only a business-logic client writes events")
    return client


def _targets_of(event: DispatchEvent) -> list[str]:
    origin = getattr(event, "openadr_origin", None)
    return list(origin.targets) if origin else []


def _reader_ven(client: OpenADRClient) -> Ven | None:
    return Ven.objects.filter(client=client).first()


class Events(Endpoint):
    """GET events the caller may read (`programID`, `targets`, `active`); POST a new event."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return a page of events, recording that a VEN read them."""
        require(self.grant, *READ)
        events = queries.events_for(grant=self.grant)
        program_id = request.GET.get("programID")
        if program_id:
            events = events.filter(program__code=program_id)
        active = request.GET.get("active")
        if active not in (None, "true", "false"):
            raise problems.bad_request("active: true or false is required")
        if active == "true":
            # The spec's `active`: leave out events that have transpired.
            events = events.filter(ends_at__gt=timezone.now())
        shown = queries.visible_targets(client=self.grant.client)
        wanted = set(targets_param(request))
        if wanted:
            # An event matches when it holds every target named, among those the caller
            # may see (a VEN cannot learn of other VENs' targets by asking for them).
            found = page_of(
                request,
                [
                    item
                    for item in events
                    if wanted <= set(_targets_of(item)) and (shown is None or wanted <= shown)
                ],
            )
        else:
            found = page(request, events)
        operations.record_event_reads(
            ven=_reader_ven(self.grant.client), events=found, now=timezone.now()
        )
        return json_response([present.event(item, visible_targets=shown) for item in found])

    def post(self, request: HttpRequest) -> HttpResponse:
        """Create the event through the staff page's operation: 201 with the event."""
        client = _writer(self.grant)
        given = event_input(body=self.body(request), grant_program=None, grant=self.grant)
        event = operations.create_event(
            client=client,
            program=given.program,
            terms=given.terms,
            event_name=given.event_name,
            priority=given.priority,
            targets=given.targets,
            now=timezone.now(),
        )
        return json_response(
            present.event(
                queries.events_for(grant=self.grant).get(pk=event.pk),
                visible_targets=queries.visible_targets(client=client),
            ),
            status=201,
        )


class Event(Endpoint):
    """GET, PUT (modify) or DELETE (cancel) one event."""

    def get(self, request: HttpRequest, event_id: str) -> HttpResponse:
        """Return the event, or 404 (also for a VEN without offers in it)."""
        require(self.grant, *READ)
        event = queries.access_event(grant=self.grant, event_id=event_id, field="eventID")
        operations.record_event_reads(
            ven=_reader_ven(self.grant.client), events=[event], now=timezone.now()
        )
        return json_response(
            present.event(event, visible_targets=queries.visible_targets(client=self.grant.client))
        )

    def put(self, request: HttpRequest, event_id: str) -> HttpResponse:
        """Modify the event (modification number bumped, offers re-priced)."""
        _writer(self.grant)
        event = queries.access_event(grant=self.grant, event_id=event_id, field="eventID")
        given = event_input(body=self.body(request), grant_program=event.program, grant=self.grant)
        if given.targets and set(given.targets) != set(_targets_of(event)):
            # The targets chose who got offers; changing them would need new offers.
            raise problems.bad_request(
                "targets: an event's targets cannot change; cancel it and create another"
            )
        operations.modify_event(
            event=event,
            terms=given.terms,
            event_name=given.event_name,
            priority=given.priority,
            now=timezone.now(),
        )
        return json_response(
            present.event(
                queries.events_for(grant=self.grant).get(pk=event.pk),
                visible_targets=queries.visible_targets(client=self.grant.client),
            )
        )

    def delete(self, request: HttpRequest, event_id: str) -> HttpResponse:
        """Cancel the event; return it as it was deleted (its modification number bumped)."""
        _writer(self.grant)
        event = queries.access_event(grant=self.grant, event_id=event_id, field="eventID")
        cancelled = operations.cancel_event(event=event, now=timezone.now())
        return json_response(
            present.event(
                cancelled, visible_targets=queries.visible_targets(client=self.grant.client)
            )
        )
