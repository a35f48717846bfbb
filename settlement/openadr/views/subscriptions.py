"""`subscriptions`: a client asks to be told of operations on objects at a callback URL.

Callback URLs outside `OPENADR_CALLBACK_ALLOWED_PREFIXES` are refused (400 naming the
field), so a client cannot make the VTN send requests into its own network; each callback
must then answer the spec's `echo` challenge (Definition, Security, Webhooks) before the
subscription is stored.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import Program
from settlement.openadr import callbacks, operations, present, problems, queries, scopes, wire
from settlement.openadr.credentials import Grant
from settlement.openadr.http import Endpoint, json_response, page, require

# openadr3.yaml secures reading subscriptions with read_ven_objects (read_all for BL).
READ = (scopes.READ_ALL, scopes.READ_VEN_OBJECTS)
OBJECTS = ("PROGRAM", "EVENT", "REPORT", "SUBSCRIPTION", "VEN", "RESOURCE")
# 3.1.0 names operations READ, CREATE, UPDATE, DELETE; clients written against 3.0 (the
# ElaadNL client among them) still send the HTTP verbs, so both are accepted, kept as sent
# (a client reads back what it wrote) and matched alike (notifications.OPERATION_ALIASES).
OPERATIONS = ("READ", "CREATE", "UPDATE", "DELETE", "GET", "POST", "PUT")


def _choices(raw: object, *, field: str, allowed: tuple[str, ...]) -> list[str]:
    items = wire.array(raw, field=field)
    if not items:
        raise problems.bad_request(f"{field}: at least one is required")
    for index, item in enumerate(items):
        if item not in allowed:
            raise problems.bad_request(
                f"{field}[{index}]: {item!r}; use one of {', '.join(allowed)}"
            )
    return [str(item) for item in items]


def _challenge(found: list[dict[str, object]]) -> None:
    if not settings.OPENADR_SUBSCRIPTION_CHALLENGE:
        return
    checked: set[str] = set()
    for index, item in enumerate(found):
        url = str(item["callbackUrl"])
        if url in checked:
            continue
        if not callbacks.answers_challenge(url):
            raise problems.bad_request(
                f"objectOperations[{index}].callbackUrl: {url} did not answer the echo "
                "challenge (GET with ?echo=<value>, 200 with the value as the body)"
            )
        checked.add(url)


def _object_operations(raw: object) -> list[dict[str, object]]:
    items = wire.array(raw, field="objectOperations")
    if not items:
        raise problems.bad_request("objectOperations: at least one is required")
    found: list[dict[str, object]] = []
    for index, raw_item in enumerate(items):
        field = f"objectOperations[{index}]"
        item = wire.mapping(raw_item, field=field)
        url = wire.text(item.get("callbackUrl"), field=f"{field}.callbackUrl", max_length=2048)
        if not callbacks.allowed(url):
            raise problems.bad_request(
                f"{field}.callbackUrl: {url} is not under an allowed callback address"
            )
        token = item.get("bearerToken")
        found.append(
            {
                "objects": _choices(item.get("objects"), field=f"{field}.objects", allowed=OBJECTS),
                "operations": _choices(
                    item.get("operations"), field=f"{field}.operations", allowed=OPERATIONS
                ),
                "callbackUrl": url,
                "bearerToken": (
                    None
                    if token is None
                    else wire.text(token, field=f"{field}.bearerToken", max_length=1024)
                ),
            }
        )
    # Only after every field is valid: the challenge calls out to the client.
    _challenge(found)
    return found


def _fields(grant: Grant, body: dict[str, Any]) -> operations.SubscriptionFields:
    program: Program | None = None
    program_id = body.get("programID")
    if program_id is not None:
        code = wire.text(program_id, field="programID")
        program = queries.programs_for(grant=grant).filter(code=code).first()
        if program is None:
            raise problems.bad_request(f"programID: no program {code}")
    return operations.SubscriptionFields(
        client_name=wire.text(body.get("clientName"), field="clientName"),
        program=program,
        object_operations=_object_operations(body.get("objectOperations")),
        targets=[
            wire.text(item, field=f"targets[{index}]")
            for index, item in enumerate(
                wire.array(body.get("targets"), field="targets", optional=True)
            )
        ],
    )


class Subscriptions(Endpoint):
    """GET the caller's subscriptions (`programID`, `clientName`, `objects`); POST one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return a page of the caller's subscriptions."""
        require(self.grant, *READ)
        subscriptions = queries.subscriptions_for(grant=self.grant)
        program_id = request.GET.get("programID")
        if program_id:
            subscriptions = subscriptions.filter(program__code=program_id)
        client_name = request.GET.get("clientName")
        if client_name:
            subscriptions = subscriptions.filter(client_name=client_name)
        found = page(request, subscriptions)
        objects = set(request.GET.getlist("objects"))
        if objects:
            found = [
                item
                for item in found
                if any(objects & set(entry["objects"]) for entry in item.object_operations)
            ]
        return json_response([present.subscription(item) for item in found])

    def post(self, request: HttpRequest) -> HttpResponse:
        """Create a subscription: 201 with it."""
        require(self.grant, scopes.WRITE_SUBSCRIPTIONS)
        subscription = operations.create_subscription(
            client=self.grant.client,
            fields=_fields(self.grant, self.body(request)),
            now=timezone.now(),
        )
        return json_response(present.subscription(subscription), status=201)


class SubscriptionDetail(Endpoint):
    """GET, PUT or DELETE one of the caller's subscriptions."""

    def get(self, request: HttpRequest, subscription_id: str) -> HttpResponse:
        """Return the subscription, or 404 (another client's too)."""
        require(self.grant, *READ)
        found = queries.access_subscription(grant=self.grant, subscription_id=subscription_id)
        return json_response(present.subscription(found))

    def put(self, request: HttpRequest, subscription_id: str) -> HttpResponse:
        """Replace the subscription's fields."""
        require(self.grant, scopes.WRITE_SUBSCRIPTIONS)
        found = queries.access_subscription(grant=self.grant, subscription_id=subscription_id)
        updated = operations.update_subscription(
            subscription=found, fields=_fields(self.grant, self.body(request)), now=timezone.now()
        )
        return json_response(present.subscription(updated))

    def delete(self, request: HttpRequest, subscription_id: str) -> HttpResponse:
        """Delete the subscription; return it as it was."""
        require(self.grant, scopes.WRITE_SUBSCRIPTIONS)
        found = queries.access_subscription(grant=self.grant, subscription_id=subscription_id)
        shown = present.subscription(found)
        operations.delete_subscription(subscription=found)
        return json_response(shown)
