"""Reads of the VTN, and the one place that decides what a client may see.

A business-logic client with `read_all` sees everything. A VEN sees its own VEN, its
resources (the meters of its aggregator's participants), its own reports and
subscriptions, the programs its participants are enrolled in, and only the events with
offers for its participants. A missing object and one the caller may not see get the same
404, so a VEN cannot learn what another VEN has.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min, QuerySet

from accounts.models import Channel, Charger, Participant, Program
from settlement.events.models import DispatchEvent
from settlement.openadr import problems, scopes
from settlement.openadr.credentials import Grant
from settlement.openadr.models import OpenADRClient, ProgramSettings, Report, Subscription, Ven

DEFAULT_SETTINGS = ProgramSettings()


def sees_all(grant: Grant) -> bool:
    """Return whether the token reads every object (a business-logic client's read_all)."""
    return grant.client.role == OpenADRClient.Role.BL and scopes.READ_ALL in grant.scopes


def participants_of(client: OpenADRClient) -> QuerySet[Participant]:
    """Return the participants a VEN client's aggregator represents (none without one)."""
    if client.aggregator_id is None:
        return Participant.objects.none()
    return Participant.objects.filter(aggregator_links__aggregator_id=client.aggregator_id)


def visible_targets(*, client: OpenADRClient) -> frozenset[str] | None:
    """Return the targets a client may see on events: None (all) for business logic with
    read_all; for a VEN, the meter ids and charger ids at its participants' sites."""
    if client.role == OpenADRClient.Role.BL and scopes.READ_ALL in client.scopes:
        return None
    represented = participants_of(client)
    meters = Channel.objects.filter(site__participant__in=represented).values_list(
        "meter_id", flat=True
    )
    chargers = Charger.objects.filter(site__participant__in=represented).values_list(
        "external_id", flat=True
    )
    return frozenset(meters) | frozenset(chargers)


def programs_for(*, grant: Grant) -> QuerySet[Program]:
    """Return the programs the caller may read, in code order."""
    programs = Program.objects.order_by("code")
    if sees_all(grant):
        return programs
    return programs.filter(enrollments__participant__in=participants_of(grant.client)).distinct()


def access_program(*, grant: Grant, program_id: str) -> Program:
    """Return the program with id (code) `program_id` if the caller may read it, else 404."""
    program = programs_for(grant=grant).filter(code=program_id).first()
    if program is None:
        raise problems.not_found(f"no program {program_id}")
    return program


def program_settings(*, program: Program) -> ProgramSettings:
    """Return the program's OpenADR settings, or the documented defaults without a row."""
    found = ProgramSettings.objects.filter(program=program).first()
    return found or ProgramSettings(
        program=program,
        event_kind=DEFAULT_SETTINGS.event_kind,
        response_minutes_before_start=DEFAULT_SETTINGS.response_minutes_before_start,
    )


def events_for(*, grant: Grant) -> QuerySet[DispatchEvent]:
    """Return the events the caller may read: not cancelled (OpenADR deletes them), by id.

    A VEN reads only events with an offer for one of its aggregator's participants.
    """
    events = (
        DispatchEvent.objects.filter(cancelled_at__isnull=True)
        .select_related("program", "openadr_origin")
        .order_by("pk")
    )
    if sees_all(grant):
        return events
    return events.filter(offers__participant__in=participants_of(grant.client)).distinct()


def access_event(*, grant: Grant, event_id: str, field: str = "eventID") -> DispatchEvent:
    """Return the event `event_id` if the caller may read it, else a 404 problem."""
    event = events_for(grant=grant).filter(pk=int(event_id)).first() if event_id.isdigit() else None
    if event is None:
        raise problems.not_found(f"{field}: no event {event_id}")
    return event


def vens_for(*, grant: Grant) -> QuerySet[Ven]:
    """Return the VENs the caller may read (a VEN: only its own), by id."""
    vens = Ven.objects.select_related("client").order_by("pk")
    if sees_all(grant):
        return vens
    return vens.filter(client=grant.client)


def access_ven(*, grant: Grant, ven_id: str) -> Ven:
    """Return the VEN `ven_id` if the caller may read it, else a 404 problem."""
    ven = vens_for(grant=grant).filter(pk=int(ven_id)).first() if ven_id.isdigit() else None
    if ven is None:
        raise problems.not_found(f"no VEN {ven_id}")
    return ven


@dataclass(frozen=True)
class Resource:
    """A VEN's resource: one meter (a charger's sub-meter or a site's revenue meter)."""

    id: str
    resource_name: str
    ven: Ven
    charger_id: str | None
    created_at: datetime
    kinds: tuple[str, ...]


def resources_of(*, ven: Ven) -> list[Resource]:
    """Return the meters at the sites of the VEN's aggregator's participants, by meter id.

    A resource's id is the id of the meter's first channel, so it is stable and numeric.
    """
    channels = Channel.objects.filter(site__participant__in=participants_of(ven.client))
    rows = (
        channels.values("meter_id")
        .annotate(first=Min("pk"), created=Min("created_at"), charger=Min("charger__external_id"))
        .order_by("meter_id")
    )
    kinds: dict[str, list[str]] = {}
    for meter_id, kind in channels.order_by("kind").values_list("meter_id", "kind"):
        kinds.setdefault(meter_id, []).append(kind)
    return [
        Resource(
            id=str(row["first"]),
            resource_name=row["meter_id"],
            ven=ven,
            charger_id=row["charger"],
            created_at=row["created"],
            kinds=tuple(kinds[row["meter_id"]]),
        )
        for row in rows
    ]


def resources_for(*, grant: Grant) -> list[Resource]:
    """Return the resources of every VEN the caller may read."""
    return [resource for ven in vens_for(grant=grant) for resource in resources_of(ven=ven)]


def reports_for(*, grant: Grant) -> QuerySet[Report]:
    """Return the reports the caller may read (a VEN: its own), by id."""
    reports = Report.objects.select_related("client", "event__program").order_by("pk")
    if sees_all(grant):
        return reports
    return reports.filter(client=grant.client)


def access_report(*, grant: Grant, report_id: str) -> Report:
    """Return the report `report_id` if the caller may read it, else a 404 problem."""
    found = (
        reports_for(grant=grant).filter(pk=int(report_id)).first() if report_id.isdigit() else None
    )
    if found is None:
        raise problems.not_found(f"no report {report_id}")
    return found


def subscriptions_for(*, grant: Grant) -> QuerySet[Subscription]:
    """Return the caller's own subscriptions, by id.

    Not even read_all shows another client's: they hold its callbacks' bearer tokens.
    """
    return (
        Subscription.objects.select_related("program", "client")
        .filter(client=grant.client)
        .order_by("pk")
    )


def access_subscription(*, grant: Grant, subscription_id: str) -> Subscription:
    """Return the subscription if the caller may read it, else a 404 problem."""
    found = (
        subscriptions_for(grant=grant).filter(pk=int(subscription_id)).first()
        if subscription_id.isdigit()
        else None
    )
    if found is None:
        raise problems.not_found(f"no subscription {subscription_id}")
    return found


def may_see_event(*, client: OpenADRClient, event: DispatchEvent) -> bool:
    """Return whether a client would read `event` (who is notified of it)."""
    if client.role == OpenADRClient.Role.BL:
        return scopes.READ_ALL in client.scopes
    return event.offers.filter(participant__in=participants_of(client)).exists()
