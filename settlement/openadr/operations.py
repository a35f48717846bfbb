"""Writes of the VTN: its own rows (VENs, subscriptions, reports, origins) beside the one
events or metering operation each request makes.

No rule about events or readings is decided here: events go through
`settlement.events.operations` (the staff page's constraints and offers), readings through
`settlement.metering.operations.ingest` (VEE, revisions, precedence).
"""

import io
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from accounts.models import Program
from settlement.errors import DomainError
from settlement.events import operations as event_operations
from settlement.events.models import DispatchEvent
from settlement.metering import operations as metering_operations
from settlement.metering.models import Upload, UploadProblem
from settlement.openadr import tasks
from settlement.openadr.models import (
    EventOrigin,
    EventRead,
    OpenADRClient,
    Report,
    Subscription,
    Ven,
)


class Conflict(DomainError):
    """The object would break a uniqueness rule (a name taken, a second VEN of a client)."""

    code = "conflict"
    http_status = 409


class ReportRefused(DomainError):
    """The report's readings did not pass validation; nothing of it was stored."""

    code = "report_refused"


@dataclass(frozen=True)
class VenFields:
    """What a client may set on a VEN."""

    ven_name: str
    attributes: list[object]
    targets: list[str]


@dataclass(frozen=True)
class SubscriptionFields:
    """What a client may set on a subscription (callback URLs already allowed)."""

    client_name: str
    program: Program | None
    object_operations: list[dict[str, object]]
    targets: list[str]


def _notify(*, event_id: int, operation: str) -> None:
    transaction.on_commit(lambda: tasks.notify_event.delay(event_id=event_id, operation=operation))


def create_event(
    *,
    client: OpenADRClient,
    program: Program,
    terms: event_operations.EventTerms,
    event_name: str,
    priority: int | None,
    targets: list[str],
    now: datetime,
) -> DispatchEvent:
    """Return a new event made through the staff page's operation, with offers, recorded as
    made by `client`; subscribers are notified after commit. `targets` (meter or charger
    ids) restrict the offers to the enrollments they name; none: the whole program.
    Raises what `events.operations.create_event` raises."""
    with transaction.atomic():
        event = event_operations.create_event(
            program=program,
            terms=terms,
            created_by=None,
            now=now,
            targets=frozenset(targets) if targets else None,
        )
        EventOrigin.objects.create(
            event=event,
            client=client,
            event_name=event_name,
            priority=priority,
            targets=targets,
            created_at=now,
        )
        _notify(event_id=event.pk, operation="CREATE")
    return event


def modify_event(
    *,
    event: DispatchEvent,
    terms: event_operations.EventTerms,
    event_name: str,
    priority: int | None,
    now: datetime,
) -> DispatchEvent:
    """Return the event with new terms (modification number bumped, offers re-priced);
    subscribers are notified after commit. Raises what `events.operations.modify_event` does."""
    with transaction.atomic():
        event = event_operations.modify_event(event=event, terms=terms, now=now)
        EventOrigin.objects.update_or_create(
            event=event,
            defaults={"event_name": event_name, "priority": priority},
            create_defaults={
                "event_name": event_name,
                "priority": priority,
                "created_at": now,
            },
        )
        _notify(event_id=event.pk, operation="UPDATE")
    return event


def cancel_event(*, event: DispatchEvent, now: datetime) -> DispatchEvent:
    """Return the event cancelled (OpenADR's DELETE); subscribers are notified after commit.

    Raises EventNotChangeable once it has started or was already cancelled.
    """
    with transaction.atomic():
        event = event_operations.cancel_event(event=event, now=now)
        _notify(event_id=event.pk, operation="DELETE")
    return event


def record_event_reads(*, ven: Ven | None, events: list[DispatchEvent], now: datetime) -> None:
    """Record that `ven` read these events at their current modification (first time only)."""
    if ven is None or not events:
        return
    EventRead.objects.bulk_create(
        [
            EventRead(event=event, ven=ven, modification=event.modification, read_at=now)
            for event in events
        ],
        ignore_conflicts=True,
    )


def register_ven(*, client: OpenADRClient, fields: VenFields, now: datetime) -> Ven:
    """Return a new VEN of `client`. Raises Conflict if the client has one or the name is taken."""
    if Ven.objects.filter(client=client).exists():
        raise Conflict(
            f"client {client.client_id} already has a VEN", details={"field": "clientID"}
        )
    try:
        with transaction.atomic():
            return Ven.objects.create(
                client=client,
                ven_name=fields.ven_name,
                attributes=fields.attributes,
                targets=fields.targets,
                created_at=now,
                modified_at=now,
            )
    except IntegrityError:
        raise Conflict(
            f"a VEN named {fields.ven_name!r} already exists", details={"field": "venName"}
        ) from None


def update_ven(*, ven: Ven, fields: VenFields, now: datetime) -> Ven:
    """Return the VEN with new fields. Raises Conflict if the new name is taken."""
    ven.ven_name, ven.attributes, ven.targets = fields.ven_name, fields.attributes, fields.targets
    ven.modified_at = now
    try:
        with transaction.atomic():
            ven.save(update_fields=["ven_name", "attributes", "targets", "modified_at"])
    except IntegrityError:
        raise Conflict(
            f"a VEN named {fields.ven_name!r} already exists", details={"field": "venName"}
        ) from None
    return ven


def delete_ven(*, ven: Ven) -> None:
    """Delete the VEN (its client and reports stay; it can register again)."""
    with transaction.atomic():
        EventRead.objects.filter(ven=ven).delete()
        ven.delete()


def create_subscription(
    *, client: OpenADRClient, fields: SubscriptionFields, now: datetime
) -> Subscription:
    """Return a new subscription of `client`."""
    return Subscription.objects.create(
        client=client,
        client_name=fields.client_name,
        program=fields.program,
        object_operations=fields.object_operations,
        targets=fields.targets,
        created_at=now,
        modified_at=now,
    )


def update_subscription(
    *, subscription: Subscription, fields: SubscriptionFields, now: datetime
) -> Subscription:
    """Return the subscription with new fields."""
    subscription.client_name = fields.client_name
    subscription.program = fields.program
    subscription.object_operations = fields.object_operations
    subscription.targets = fields.targets
    subscription.modified_at = now
    subscription.save()
    return subscription


def delete_subscription(*, subscription: Subscription) -> None:
    """Delete the subscription: no more notifications go to its callbacks."""
    subscription.delete()


@dataclass(frozen=True)
class ReportFields:
    """A VEN's report: names, descriptors and resources as JSON text, and its readings as
    canonical CSV (`meter_id,start,end,export_wh,import_wh,quality`)."""

    client_name: str
    report_name: str
    payload_descriptors_json: str
    resources_json: str
    readings_csv: str


def _first_problem(upload: Upload) -> str:
    problem = UploadProblem.objects.filter(upload=upload).order_by("seq").first()
    if problem is not None:
        return f"{problem.location} {problem.field}: {problem.reason}"
    return upload.rejection_reason or f"the readings were {upload.status.lower()}"


def receive_report(
    *,
    client: OpenADRClient,
    event: DispatchEvent,
    fields: ReportFields,
    now: datetime,
) -> Report:
    """Return the stored report after its readings went through ingestion as the
    aggregator's (source AGGREGATOR).

    All or nothing: if any reading is refused (or the batch is rejected), the transaction
    is rolled back and ReportRefused names the first problem.
    """
    with transaction.atomic():
        result = metering_operations.ingest(
            stream=io.BytesIO(fields.readings_csv.encode()),
            filename=f"openadr-report-event-{event.pk}.csv",
            now=now,
            format="canonical-csv",
            aggregator=client.aggregator,
        )
        upload = result.upload
        if upload.status != Upload.Status.PROCESSED or upload.rejected:
            raise ReportRefused(
                f"resources: {_first_problem(upload)}",
                details={"field": "resources", "upload_status": upload.status},
            )
        return Report.objects.create(
            client=client,
            event=event,
            client_name=fields.client_name,
            report_name=fields.report_name,
            payload_descriptors_json=fields.payload_descriptors_json,
            resources_json=fields.resources_json,
            upload=upload,
            created_at=now,
            modified_at=now,
        )


def delete_report(*, report: Report) -> None:
    """Delete the report record (its readings stay: they are meter data with revisions)."""
    report.delete()
