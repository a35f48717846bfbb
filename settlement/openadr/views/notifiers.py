"""`notifiers`: the notifier bindings (webhooks always, MQTT when configured) and the MQTT
topic names a client subscribes to.

Topics about every object of a kind, or a program's, are for business-logic clients
(`read_all`; the spec's `read_bl`); a VEN asks for its own VEN-scoped topics
(`read_ven_objects`), and another VEN's are a 404 like the VEN itself.
"""

from typing import ClassVar

from django.http import HttpRequest, HttpResponse

from settlement.openadr import mqtt, problems, queries, scopes
from settlement.openadr.http import Endpoint, json_response, require


class Notifiers(Endpoint):
    """GET the bindings. Any client may ask: a VEN needs them to use MQTT, and they hold
    nothing private (the spec lists read_all, which VENs do not have)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        """Return `notifiersResponse`."""
        found: dict[str, object] = {"WEBHOOK": True}
        if mqtt.enabled():
            found["MQTT"] = mqtt.binding()
        return json_response(found)


def _mqtt_only() -> None:
    if not mqtt.enabled():
        raise problems.not_found("this VTN has no MQTT notifier binding")


class BusinessLogicTopics(Endpoint):
    """GET the topics of every object of a kind (`base`), or of one program's."""

    base: ClassVar[str] = ""

    def get(self, request: HttpRequest, program_id: str | None = None) -> HttpResponse:
        """Return `notifierTopicsResponse` (403 for a VEN: these topics show every VEN's)."""
        _mqtt_only()
        require(self.grant, scopes.READ_ALL)
        base = self.base
        if program_id is not None:
            program = queries.access_program(grant=self.grant, program_id=program_id)
            base = base.format(program=program.code)
        return json_response({"topics": mqtt.topics(base=base)})


class VenTopics(Endpoint):
    """GET the topics of one VEN's own objects (`base` holds `{ven}`)."""

    base: ClassVar[str] = ""

    def get(self, request: HttpRequest, ven_id: str) -> HttpResponse:
        """Return `notifierTopicsResponse` for a VEN the caller may read (404 otherwise)."""
        _mqtt_only()
        require(self.grant, scopes.READ_ALL, scopes.READ_VEN_OBJECTS)
        ven = queries.access_ven(grant=self.grant, ven_id=ven_id)
        base = self.base.format(ven=ven.pk)
        return json_response({"topics": mqtt.topics(base=base)})
