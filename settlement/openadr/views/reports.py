"""`reports`: a VEN's USAGE and EXPORT readings on an event become meter data.

Each resource is a meter the VEN represents; each interval's `USAGE` value is the energy
the meter imported and `EXPORT` what it exported, in the descriptor's units (KWH unless a
`REPORT_PAYLOAD_DESCRIPTOR` says WH), converted exactly to integer Wh. The readings go
through ingestion as the aggregator's batch; a bad report is a 400 problem naming the
field, and nothing of it is stored.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from settlement.openadr import operations, present, problems, queries, scopes, wire
from settlement.openadr.credentials import Grant
from settlement.openadr.http import Endpoint, json_response, page, require
from settlement.openadr.models import OpenADRClient, Ven

READ = (scopes.READ_ALL, scopes.READ_VEN_OBJECTS)
USAGE = "USAGE"
EXPORT = "EXPORT"
WH_PER_UNIT = {"KWH": Decimal(1000), "WH": Decimal(1)}
CSV_HEADER = "meter_id,start,end,export_wh,import_wh,quality"


def _scales(body: dict[str, Any]) -> dict[str, Decimal]:
    scales = {USAGE: WH_PER_UNIT["KWH"], EXPORT: WH_PER_UNIT["KWH"]}
    descriptors = wire.array(
        body.get("payloadDescriptors"), field="payloadDescriptors", optional=True
    )
    for index, raw in enumerate(descriptors):
        descriptor = wire.mapping(raw, field=f"payloadDescriptors[{index}]")
        kind = descriptor.get("payloadType")
        if kind in scales:
            units = descriptor.get("units") or "KWH"
            if units not in WH_PER_UNIT:
                raise problems.bad_request(
                    f"payloadDescriptors[{index}].units: {units!r}; use KWH or WH"
                )
            scales[kind] = WH_PER_UNIT[units]
    return scales


def _wh(value: object, *, scale: Decimal, field: str) -> int:
    amount = wire.number(value, field=field) * scale
    if amount < 0 or amount != amount.to_integral_value():
        raise problems.bad_request(f"{field}: {value} is not a whole, non-negative number of Wh")
    return int(amount)


def _period(raw: object, *, field: str) -> tuple[datetime, timedelta]:
    period = wire.mapping(raw, field=field)
    start = wire.parse_instant(period.get("start"), field=f"{field}.start")
    duration = wire.parse_duration(period.get("duration"), field=f"{field}.duration")
    if duration <= timedelta(0):
        raise problems.bad_request(f"{field}.duration: must be longer than zero")
    return start, duration


def _interval_period(
    interval: dict[str, Any], *, shared: object, position: int, at: str, field: str
) -> tuple[datetime, timedelta]:
    if interval.get("intervalPeriod") is not None:
        return _period(interval["intervalPeriod"], field=f"{at}.intervalPeriod")
    if shared is None:
        raise problems.bad_request(f"{at}.intervalPeriod: the interval needs a period")
    first, duration = _period(shared, field=f"{field}.intervalPeriod")
    return first + position * duration, duration


def _flows(
    interval: dict[str, Any],
    *,
    at: str,
    meter: str,
    kinds: tuple[str, ...],
    scales: dict[str, Decimal],
) -> dict[str, int]:
    flows: dict[str, int] = {}
    for number, raw_payload in enumerate(
        wire.array(interval.get("payloads"), field=f"{at}.payloads")
    ):
        where = f"{at}.payloads[{number}]"
        payload = wire.mapping(raw_payload, field=where)
        kind = payload.get("type")
        if kind not in (USAGE, EXPORT):
            raise problems.bad_request(
                f"{where}.type: {kind!r} is not read here; use {USAGE} or {EXPORT}"
            )
        suffix = "_IMPORT" if kind == USAGE else "_EXPORT"
        if not any(k.endswith(suffix) for k in kinds):
            raise problems.bad_request(
                f"{where}.type: meter {meter} has no {suffix[1:].lower()} channel"
            )
        values = wire.array(payload.get("values"), field=f"{where}.values")
        if len(values) != 1:
            raise problems.bad_request(f"{where}.values: exactly one value is required")
        flow = "import" if kind == USAGE else "export"
        if flow in flows:
            raise problems.bad_request(f"{where}: a second {kind} for the same interval")
        flows[flow] = _wh(values[0], scale=scales[kind], field=f"{where}.values[0]")
    return flows


def readings_csv(*, body: dict[str, Any], resources: list[queries.Resource]) -> str:
    """Return the report's readings as canonical CSV (400 problem naming the field at fault).

    An interval without its own period follows its resource's: the n-th interval starts n
    durations after the resource's start.
    """
    scales = _scales(body)
    known = {item.resource_name: item for item in resources}
    rows: dict[tuple[str, datetime, datetime], dict[str, int]] = {}
    report_resources = wire.array(body.get("resources"), field="resources")
    if not report_resources:
        raise problems.bad_request("resources: at least one resource is required")
    for index, raw in enumerate(report_resources):
        field = f"resources[{index}]"
        entry = wire.mapping(raw, field=field)
        name = wire.text(entry.get("resourceName"), field=f"{field}.resourceName")
        if name not in known:
            raise problems.bad_request(
                f"{field}.resourceName: {name!r} is not a resource of this VEN"
            )
        intervals = wire.array(entry.get("intervals"), field=f"{field}.intervals")
        if not intervals:
            raise problems.bad_request(f"{field}.intervals: at least one interval is required")
        for position, raw_interval in enumerate(intervals):
            at = f"{field}.intervals[{position}]"
            interval = wire.mapping(raw_interval, field=at)
            start, duration = _interval_period(
                interval, shared=entry.get("intervalPeriod"), position=position, at=at, field=field
            )
            key = (name, start, start + duration)
            if key in rows:
                raise problems.bad_request(f"{at}: a second interval over the same period")
            rows[key] = _flows(interval, at=at, meter=name, kinds=known[name].kinds, scales=scales)
    lines = [CSV_HEADER]
    for (meter, start, end), flows in sorted(rows.items()):
        if not flows:
            continue
        export = flows.get("export")
        imported = flows.get("import")
        lines.append(
            f"{meter},{wire.instant(start)},{wire.instant(end)},"
            f"{'' if export is None else export},{'' if imported is None else imported},"
        )
    if len(lines) == 1:
        raise problems.bad_request("resources: the report has no readings")
    return "\n".join(lines) + "\n"


def _ven_of(grant: Grant) -> Ven:
    if grant.client.role != OpenADRClient.Role.VEN:
        raise problems.forbidden("only a VEN reports readings")
    ven = Ven.objects.filter(client=grant.client).first()
    if ven is None:
        raise problems.Problem(
            status=409, title="Conflict", detail="register the VEN (POST vens) before reporting"
        )
    return ven


class Reports(Endpoint):
    """GET reports the caller may read (`programID`, `eventID`, `clientName`); POST one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return a page of reports."""
        require(self.grant, *READ)
        reports = queries.reports_for(grant=self.grant)
        for name, lookup in (
            ("programID", "event__program__code"),
            ("eventID", "event_id"),
            ("clientName", "client_name"),
        ):
            value = request.GET.get(name)
            if value:
                if name == "eventID" and not value.isdigit():
                    reports = reports.none()
                    continue
                reports = reports.filter(**{lookup: value})
        return json_response([present.report(item) for item in page(request, reports)])

    def post(self, request: HttpRequest) -> HttpResponse:
        """Store the report's readings through ingestion: 201 with the report."""
        require(self.grant, scopes.WRITE_REPORTS)
        ven = _ven_of(self.grant)
        body = self.body(request)
        event_id = wire.text(body.get("eventID"), field="eventID")
        event = queries.access_event(grant=self.grant, event_id=event_id, field="eventID")
        csv_text = readings_csv(body=body, resources=queries.resources_of(ven=ven))
        report = operations.receive_report(
            client=self.grant.client,
            event=event,
            fields=operations.ReportFields(
                client_name=wire.text(body.get("clientName"), field="clientName"),
                report_name=wire.text(body.get("reportName"), field="reportName", optional=True),
                payload_descriptors_json=wire.dumps(body.get("payloadDescriptors")),
                resources_json=wire.dumps(body["resources"]),
                readings_csv=csv_text,
            ),
            now=timezone.now(),
        )
        return json_response(present.report(report), status=201)


class ReportDetail(Endpoint):
    """GET or DELETE one report (readings, once stored, are revised by a new report)."""

    def get(self, request: HttpRequest, report_id: str) -> HttpResponse:
        """Return the report, or 404 (another VEN's too)."""
        require(self.grant, *READ)
        return json_response(
            present.report(queries.access_report(grant=self.grant, report_id=report_id))
        )

    def put(self, request: HttpRequest, report_id: str) -> HttpResponse:
        """Refuse: readings are revised by posting a new report, which keeps the revision."""
        queries.access_report(grant=self.grant, report_id=report_id)
        raise problems.Problem(
            status=405,
            title="Method Not Allowed",
            detail="post a new report to revise readings; the earlier values are kept as revisions",
            headers={"Allow": "GET, DELETE"},
        )

    def delete(self, request: HttpRequest, report_id: str) -> HttpResponse:
        """Delete the report record (its readings stay); return it as it was."""
        require(self.grant, scopes.WRITE_REPORTS)
        report = queries.access_report(grant=self.grant, report_id=report_id)
        shown = present.report(report)
        operations.delete_report(report=report)
        return json_response(shown)
