"""Run by Python 3.12 in `.venv-oadr`: ElaadNL's openadr3-client drives a live VTN.

Usage: third_party_client.py BASE_URL CONFIG_JSON. CONFIG_JSON holds the clients'
credentials, the program, the event's start, the meter to report on and the report's hour.
Prints one JSON line of what it saw; any failure raises (non-zero exit). Not collected by
pytest (no `test_` prefix) and never imported by the service: it is the outside client.
"""

import json
import sys
from datetime import datetime, timedelta

from openadr3_client._models.common.interval import Interval
from openadr3_client._models.common.interval_period import IntervalPeriod
from openadr3_client.bl.http_factory import BusinessLogicHttpClientFactory
from openadr3_client.oadr310.models.event.event import NewEvent
from openadr3_client.oadr310.models.event.event_payload import (
    EventPayload,
    EventPayloadDescriptor,
    EventPayloadType,
)
from openadr3_client.oadr310.models.report.report import NewReport, ReportResource
from openadr3_client.oadr310.models.report.report_payload import ReportPayload, ReportPayloadType
from openadr3_client.oadr310.models.unit import Unit
from openadr3_client.oadr310.models.ven.ven import NewVenVenRequest
from openadr3_client.ven.http_factory import VirtualEndNodeHttpClientFactory
from openadr3_client.version import OADRVersion


def main() -> None:
    base_url, config_text = sys.argv[1], sys.argv[2]
    config = json.loads(config_text)
    bl = BusinessLogicHttpClientFactory.create_http_bl_client(
        vtn_base_url=base_url,
        client_id=config["bl"]["client_id"],
        client_secret=config["bl"]["client_secret"],
        allow_insecure_http=True,
        version=OADRVersion.OADR_310,
    )
    start = datetime.fromisoformat(config["event_start"])
    created = bl.events.create_event(
        NewEvent(
            program_id=config["program"],
            event_name="client-made",
            payload_descriptors=(
                EventPayloadDescriptor(
                    payload_type=EventPayloadType.EXPORT_PRICE, units=Unit.KWH, currency="USD"
                ),
            ),
            interval_period=IntervalPeriod(start=start, duration=timedelta(hours=2)),
            intervals=(
                Interval(
                    id=0,
                    payloads=(EventPayload(type=EventPayloadType.EXPORT_PRICE, values=(0.75,)),),
                ),
            ),
        )
    )
    ven = VirtualEndNodeHttpClientFactory.create_http_ven_client(
        vtn_base_url=base_url,
        client_id=config["ven"]["client_id"],
        client_secret=config["ven"]["client_secret"],
        allow_insecure_http=True,
        version=OADRVersion.OADR_310,
    )
    registered = ven.vens.create_ven(NewVenVenRequest(ven_name="client-ven"))
    events = ven.events.get_events(target=None, pagination=None, program_id=config["program"])
    seen = [event for event in events if event.id == created.id]
    report_hour = datetime.fromisoformat(config["report_hour"])
    report = ven.reports.create_report(
        NewReport(
            event_id=created.id,
            client_name="client-ven",
            resources=(
                ReportResource(
                    resource_name=config["meter"],
                    interval_period=IntervalPeriod(start=report_hour, duration=timedelta(hours=1)),
                    intervals=(
                        Interval(
                            id=0,
                            payloads=(
                                ReportPayload(type=ReportPayloadType("EXPORT"), values=(3.5,)),
                            ),
                        ),
                    ),
                ),
            ),
        )
    )
    sys.stdout.write(
        json.dumps(
            {
                "event_id": created.id,
                "ven_id": registered.id,
                "ven_client_id": registered.client_id,
                "seen_event_ids": [event.id for event in events],
                "seen_payloads": [
                    [payload.type.value, list(payload.values)]
                    for event in seen
                    for interval in event.intervals or ()
                    for payload in interval.payloads
                ],
                "report_id": report.id,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
