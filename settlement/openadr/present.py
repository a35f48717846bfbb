"""Our objects as OpenADR 3.1.0 objects (openadr3.yaml `program`, `event`, `ven`, ...)."""

from decimal import Decimal

from accounts.models import Program
from settlement.events.models import DispatchEvent
from settlement.openadr import wire
from settlement.openadr.models import EventOrigin, Report, Subscription, Ven
from settlement.openadr.queries import Resource

EXPORT_PRICE = "EXPORT_PRICE"
EXPORT_CAPACITY_LIMIT = "EXPORT_CAPACITY_LIMIT"


def _descriptors(program: Program, *, with_limit: bool) -> list[dict[str, object]]:
    found: list[dict[str, object]] = [
        {
            "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
            "payloadType": EXPORT_PRICE,
            "units": "KWH",
            "currency": program.currency,
        }
    ]
    if with_limit:
        found.append(
            {
                "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                "payloadType": EXPORT_CAPACITY_LIMIT,
                "units": "KW",
            }
        )
    return found


def program(item: Program) -> dict[str, object]:
    """Return a program: its code is its id and name; events pay by EXPORT_PRICE."""
    return {
        "id": item.code,
        "createdDateTime": wire.instant(item.created_at),
        "modificationDateTime": wire.instant(item.created_at),
        "objectType": "PROGRAM",
        "programName": item.code,
        "programLongName": item.name,
        "retailerName": item.utility,
        # intervalPeriod is optional and not nullable in 3.1.0: absent rather than null.
        "programDescriptions": None,
        "payloadDescriptors": _descriptors(item, with_limit=True),
        "attributes": None,
        "targets": None,
    }


def _origin(event: DispatchEvent) -> EventOrigin | None:
    try:
        return event.openadr_origin
    except EventOrigin.DoesNotExist:
        return None


def event(item: DispatchEvent, *, visible_targets: frozenset[str] | None) -> dict[str, object]:
    """Return an event: one interval over its window carrying its price (and limit).

    `modificationNumber` is the event's own modification count, bumped on every change
    made here or on the staff page: not in 3.1.0's event schema, it is a model extension
    (Definition, "Model Extension") that clients ignore. Targets are hidden from a VEN
    except its own (`visible_targets`; None shows all, for business logic).
    """
    origin = _origin(item)
    targets = list(origin.targets) if origin else []
    if visible_targets is not None:
        targets = [target for target in targets if target in visible_targets]
    payloads: list[dict[str, object]] = [
        {"type": EXPORT_PRICE, "values": [Decimal(item.price_per_kwh)]}
    ]
    limited = item.signal == DispatchEvent.Signal.EXPORT_CAPACITY_LIMIT
    if limited and item.target_kw is not None:
        payloads.append({"type": EXPORT_CAPACITY_LIMIT, "values": [Decimal(item.target_kw)]})
    return {
        "id": str(item.pk),
        "createdDateTime": wire.instant(item.created_at),
        "modificationDateTime": wire.instant(item.modified_at),
        "objectType": "EVENT",
        "programID": item.program.code,
        "eventName": (origin.event_name if origin and origin.event_name else f"event-{item.pk}"),
        "priority": origin.priority if origin else None,
        "modificationNumber": item.modification,
        "targets": targets or None,
        "reportDescriptors": None,
        "payloadDescriptors": _descriptors(item.program, with_limit=limited),
        "intervalPeriod": {
            "start": wire.instant(item.starts_at),
            "duration": wire.duration(item.ends_at - item.starts_at),
        },
        "intervals": [{"id": 0, "payloads": payloads}],
    }


def ven(item: Ven) -> dict[str, object]:
    """Return a VEN with the client id it belongs to."""
    return {
        "id": str(item.pk),
        "createdDateTime": wire.instant(item.created_at),
        "modificationDateTime": wire.instant(item.modified_at),
        "objectType": "VEN",
        "venName": item.ven_name,
        "clientID": item.client.client_id,
        "attributes": item.attributes or None,
        "targets": item.targets or None,
    }


def resource(item: Resource) -> dict[str, object]:
    """Return a resource: a meter, named by its meter id, with its charger as attribute."""
    attributes = [{"type": "CHANNEL_KINDS", "values": list(item.kinds)}]
    if item.charger_id is not None:
        attributes.append({"type": "CHARGER_ID", "values": [item.charger_id]})
    return {
        "id": item.id,
        "createdDateTime": wire.instant(item.created_at),
        "modificationDateTime": wire.instant(item.created_at),
        "objectType": "RESOURCE",
        "resourceName": item.resource_name,
        "venID": str(item.ven.pk),
        "clientID": item.ven.client.client_id,
        "attributes": attributes,
        "targets": None,
    }


def report(item: Report) -> dict[str, object]:
    """Return a report as the VEN sent it, with the ids and times the VTN gave it."""
    return {
        "id": str(item.pk),
        "createdDateTime": wire.instant(item.created_at),
        "modificationDateTime": wire.instant(item.modified_at),
        "objectType": "REPORT",
        "programID": item.event.program.code,
        "eventID": str(item.event_id),
        "clientName": item.client_name,
        "clientID": item.client.client_id,
        "reportName": item.report_name or None,
        "payloadDescriptors": wire.loads(item.payload_descriptors_json.encode()),
        "resources": wire.loads(item.resources_json.encode()),
    }


def subscription(item: Subscription) -> dict[str, object]:
    """Return a subscription (its bearer tokens included: only its owner reads it)."""
    shown: dict[str, object] = {
        "id": str(item.pk),
        "createdDateTime": wire.instant(item.created_at),
        "modificationDateTime": wire.instant(item.modified_at),
        "objectType": "SUBSCRIPTION",
        "clientName": item.client_name,
        "clientID": item.client.client_id,
        "objectOperations": item.object_operations,
        "targets": item.targets or None,
    }
    if item.program is not None:
        # programID is an objectID, not nullable: a subscription to every program omits it.
        shown["programID"] = item.program.code
    return shown
