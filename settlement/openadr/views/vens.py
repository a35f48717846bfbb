"""`vens` and their resources: a VEN registers itself; its resources are its aggregator's
participants' meters (chargers' sub-meters and sites' revenue meters), read-only here."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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
from settlement.openadr.models import OpenADRClient

READ = (scopes.READ_ALL, scopes.READ_VEN_OBJECTS)
RESOURCES_MANAGED_HERE = (
    "resources are the meters of the aggregator's participants, kept by the service; "
    "they change with enrollments, not through OpenADR"
)


def _fields(body: dict[str, Any]) -> operations.VenFields:
    return operations.VenFields(
        ven_name=wire.text(body.get("venName"), field="venName"),
        attributes=wire.array(body.get("attributes"), field="attributes", optional=True),
        targets=[
            wire.text(item, field=f"targets[{index}]")
            for index, item in enumerate(
                wire.array(body.get("targets"), field="targets", optional=True)
            )
        ],
    )


def _owner_for_new_ven(grant: Grant, body: dict[str, Any]) -> OpenADRClient:
    if grant.client.role == OpenADRClient.Role.VEN:
        # A VEN registers itself: a clientID it sends is ignored, as the spec allows.
        return grant.client
    client_id = wire.text(body.get("clientID"), field="clientID")
    owner = OpenADRClient.objects.filter(client_id=client_id, role=OpenADRClient.Role.VEN).first()
    if owner is None:
        raise problems.bad_request(f"clientID: no VEN client {client_id}")
    return owner


def _fields_for(grant: Grant, body: dict[str, Any]) -> operations.VenFields:
    fields = _fields(body)
    if grant.client.role == OpenADRClient.Role.VEN and fields.targets:
        # Targets say which events reach a VEN: only the business logic assigns them.
        raise problems.forbidden("targets: only a business-logic client assigns a VEN's targets")
    return fields


class Vens(Endpoint):
    """GET VENs the caller may read (`venName`, `targets`); POST registers a VEN."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return a page of VENs."""
        require(self.grant, *READ)
        vens = queries.vens_for(grant=self.grant)
        name = request.GET.get("venName")
        if name:
            vens = vens.filter(ven_name=name)
        wanted = targets_param(request)
        if wanted:
            found = [ven for ven in vens if set(wanted) <= set(ven.targets)]
            return json_response([present.ven(item) for item in page_of(request, found)])
        return json_response([present.ven(item) for item in page(request, vens)])

    def post(self, request: HttpRequest) -> HttpResponse:
        """Register a VEN: 201 with it; 409 if its client has one or the name is taken."""
        require(self.grant, scopes.WRITE_VENS)
        body = self.body(request)
        ven = operations.register_ven(
            client=_owner_for_new_ven(self.grant, body),
            fields=_fields_for(self.grant, body),
            now=timezone.now(),
        )
        return json_response(present.ven(ven), status=201)


class VenDetail(Endpoint):
    """GET, PUT or DELETE one VEN."""

    def get(self, request: HttpRequest, ven_id: str) -> HttpResponse:
        """Return the VEN, or 404 (another VEN's too)."""
        require(self.grant, *READ)
        return json_response(present.ven(queries.access_ven(grant=self.grant, ven_id=ven_id)))

    def put(self, request: HttpRequest, ven_id: str) -> HttpResponse:
        """Update the VEN's name, attributes (and targets, by a business-logic client)."""
        require(self.grant, scopes.WRITE_VENS)
        ven = queries.access_ven(grant=self.grant, ven_id=ven_id)
        fields = _fields_for(self.grant, self.body(request))
        if self.grant.client.role == OpenADRClient.Role.VEN:
            fields = operations.VenFields(
                ven_name=fields.ven_name, attributes=fields.attributes, targets=ven.targets
            )
        return json_response(
            present.ven(operations.update_ven(ven=ven, fields=fields, now=timezone.now()))
        )

    def delete(self, request: HttpRequest, ven_id: str) -> HttpResponse:
        """Delete the VEN; return it as it was."""
        require(self.grant, scopes.WRITE_VENS)
        ven = queries.access_ven(grant=self.grant, ven_id=ven_id)
        shown = present.ven(ven)
        operations.delete_ven(ven=ven)
        return json_response(shown)


def _refuse_resource_writes() -> HttpResponse:
    raise problems.Problem(
        status=405,
        title="Method Not Allowed",
        detail=RESOURCES_MANAGED_HERE,
        headers={"Allow": "GET"},
    )


def _filtered(request: HttpRequest, resources: list[queries.Resource]) -> list[queries.Resource]:
    name = request.GET.get("resourceName")
    ven_id = request.GET.get("venID")
    if targets_param(request):
        # Resources carry no targets; a filter keeps objects holding every target named.
        return []
    return [
        item
        for item in resources
        if (not name or item.resource_name == name) and (not ven_id or str(item.ven.pk) == ven_id)
    ]


class Resources(Endpoint):
    """GET the resources of the VENs the caller may read (`resourceName`, `venID`)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return a page of resources."""
        require(self.grant, *READ)
        found = _filtered(request, queries.resources_for(grant=self.grant))
        return json_response([present.resource(item) for item in page_of(request, found)])

    def post(self, request: HttpRequest) -> HttpResponse:
        """Refuse: see RESOURCES_MANAGED_HERE."""
        return _refuse_resource_writes()


def _one(resources: list[queries.Resource], resource_id: str) -> queries.Resource:
    for item in resources:
        if item.id == resource_id:
            return item
    raise problems.not_found(f"no resource {resource_id}")


class ResourceDetail(Endpoint):
    """GET one resource (`resources/{id}`); writes refused."""

    def get(self, request: HttpRequest, resource_id: str) -> HttpResponse:
        """Return the resource, or 404 (another VEN's too)."""
        require(self.grant, *READ)
        resources = queries.resources_for(grant=self.grant)
        return json_response(present.resource(_one(resources, resource_id)))

    def put(self, request: HttpRequest, resource_id: str) -> HttpResponse:
        """Refuse: see RESOURCES_MANAGED_HERE."""
        return _refuse_resource_writes()

    delete = put
