"""Staff API: dispatch events (program administrators), modify, cancel, read results."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from settlement.api import deliveries, fields
from settlement.api.permissions import IsStaff
from settlement.api.schema import ErrorOutput
from settlement.events import operations, queries
from settlement.events.models import DispatchEvent
from settlement.programs import queries as program_queries

FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 9998

# The API spells event kinds in lower case; the schema names this enum EventKindEnum.
EVENT_KIND_CHOICES = [kind.lower() for kind in DispatchEvent.Kind.values]


class ProgramTimeField(serializers.DateTimeField):
    """ISO 8601; a time without an offset stays naive, to be read in the program's zone.

    DRF's own field makes a naive time aware in the server's zone (UTC) before the view sees
    it, so the API read 17:00 as 17:00 UTC where the docs, the schema, the command and the
    staff page all say 17:00 program-local time.
    """

    def enforce_timezone(self, value: datetime) -> datetime:
        """Return `value` as given (aware or naive); refuse years no event can have."""
        # 9999 and year 1 overflow when an offset moves them across the calendar's edge.
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise serializers.ValidationError(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
        return value


class EventTermsInput(serializers.Serializer[Any]):
    """Event terms; times are ISO 8601, without an offset they are the program's local time."""

    start = ProgramTimeField()
    end = ProgramTimeField()
    deadline = ProgramTimeField()
    kind = serializers.ChoiceField(choices=EVENT_KIND_CHOICES)
    # Not negative, and a target above 0 (`constraints.check`): said here, so the schema says it.
    price = serializers.DecimalField(max_digits=12, decimal_places=5, min_value=Decimal(0))
    target_kw = fields.Decimal(
        max_digits=10,
        decimal_places=3,
        required=False,
        allow_null=True,
        min_value=Decimal("0.001"),
    )
    signal = serializers.ChoiceField(
        choices=DispatchEvent.Signal.values, default=DispatchEvent.Signal.EXPORT_PRICE
    )


class EventInput(EventTermsInput):
    """A new event: its program and its terms."""

    program = fields.Text(max_length=40)


class EventOutput(serializers.Serializer[Any]):
    event_id = serializers.IntegerField(source="pk")
    program = serializers.CharField(source="program.code")
    kind = serializers.CharField()
    signal = serializers.CharField()
    price_per_kwh = serializers.CharField()
    target_kw = serializers.CharField(allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    response_deadline = serializers.DateTimeField()
    time_zone = serializers.CharField(source="program.timezone")
    modification = serializers.IntegerField()
    status = serializers.SerializerMethodField()
    offers = serializers.SerializerMethodField()

    def get_status(self, event: DispatchEvent) -> str:
        return queries.event_status(event, now=self.context["now"]).value

    def get_offers(self, event: DispatchEvent) -> int:
        return int(getattr(event, "offer_count", None) or event.offers.count())


class ReadingsUsedOutput(serializers.Serializer[Any]):
    """Which readings a delivery was measured from (`events.queries.readings_used`)."""

    count = serializers.IntegerField()
    first_start = serializers.CharField(allow_null=True)
    last_start = serializers.CharField(allow_null=True)
    sha256 = serializers.CharField()


class ResultOutput(deliveries.DeliveryOutput):
    """One participant's answer and delivery (the delivery figures come first in the schema)."""

    participant_email = serializers.EmailField()
    response = serializers.CharField()
    measured_at = serializers.CharField(allow_null=True, help_text="ISO 8601, UTC.")
    readings = ReadingsUsedOutput(allow_null=True)


def terms_from(data: dict[str, Any], *, time_zone: str) -> operations.EventTerms:
    """Return event terms from validated input, naive times read in the program's zone."""
    return operations.EventTerms(
        starts_at=queries.localize(data["start"], time_zone=time_zone),
        ends_at=queries.localize(data["end"], time_zone=time_zone),
        response_deadline=queries.localize(data["deadline"], time_zone=time_zone),
        kind=data["kind"].upper(),
        price_per_kwh=data["price"],
        target_kw=data.get("target_kw"),
        signal=data.get("signal", DispatchEvent.Signal.EXPORT_PRICE),
    )


class EventListView(APIView):
    """List events (staff); create one (program administrators)."""

    permission_classes = (IsStaff,)

    @extend_schema(responses={200: EventOutput(many=True)}, operation_id="staff_events_list")
    def get(self, request: Request) -> Response:
        events = queries.events_for_staff()
        return Response(EventOutput(events, many=True, context={"now": timezone.now()}).data)

    @extend_schema(
        # 404: no such program.
        request=EventInput,
        # 409: the program's rules in force refuse the event (season, hours, nothing pays).
        responses={201: EventOutput, 404: ErrorOutput, 409: ErrorOutput},
        operation_id="staff_events_create",
    )
    def post(self, request: Request) -> Response:
        queries.require_program_administrator(user=signed_in.signed_in_user(request))
        given = EventInput(data=request.data)
        given.is_valid(raise_exception=True)
        program = program_queries.program_by_code(code=given.validated_data["program"])
        now = timezone.now()
        event = operations.create_event(
            program=program,
            terms=terms_from(given.validated_data, time_zone=program.timezone),
            created_by=signed_in.signed_in_user(request),
            now=now,
        )
        return Response(
            EventOutput(event, context={"now": now}).data, status=status.HTTP_201_CREATED
        )


class EventDetailView(APIView):
    """One event (staff)."""

    permission_classes = (IsStaff,)

    @extend_schema(responses={200: EventOutput}, operation_id="staff_events_retrieve")
    def get(self, request: Request, event_id: int) -> Response:
        event = queries.access_event_for_staff(
            user=signed_in.signed_in_user(request), event_id=event_id
        )
        return Response(EventOutput(event, context={"now": timezone.now()}).data)


class EventModifyView(APIView):
    """Change an event's terms before it starts (bumps its modification number)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        # 409: the event has started or was cancelled, or the program's rules refuse the terms.
        request=EventTermsInput,
        responses={200: EventOutput, 409: ErrorOutput},
        operation_id="staff_events_modify",
    )
    def post(self, request: Request, event_id: int) -> Response:
        queries.require_program_administrator(user=signed_in.signed_in_user(request))
        event = queries.access_event_for_staff(
            user=signed_in.signed_in_user(request), event_id=event_id
        )
        # The terms only: an event stays in its program.
        given = EventTermsInput(data=request.data)
        given.is_valid(raise_exception=True)
        now = timezone.now()
        event = operations.modify_event(
            event=event,
            terms=terms_from(given.validated_data, time_zone=event.program.timezone),
            now=now,
        )
        return Response(EventOutput(event, context={"now": now}).data)


class EventCancelView(APIView):
    """Cancel an event before it starts: every offer closes, nothing is paid."""

    permission_classes = (IsStaff,)

    @extend_schema(
        request=None,
        responses={200: EventOutput, 409: ErrorOutput},
        operation_id="staff_events_cancel",
    )
    def post(self, request: Request, event_id: int) -> Response:
        queries.require_program_administrator(user=signed_in.signed_in_user(request))
        event = queries.access_event_for_staff(
            user=signed_in.signed_in_user(request), event_id=event_id
        )
        now = timezone.now()
        event = operations.cancel_event(event=event, now=now)
        return Response(EventOutput(event, context={"now": now}).data)


class EventResultsView(APIView):
    """Per-participant results of an event: response, baseline, delivery, amount."""

    permission_classes = (IsStaff,)

    @extend_schema(responses={200: ResultOutput(many=True)}, operation_id="staff_events_results")
    def get(self, request: Request, event_id: int) -> Response:
        event = queries.access_event_for_staff(
            user=signed_in.signed_in_user(request), event_id=event_id
        )
        offers = list(queries.offers_of_event(event=event))
        return Response([row.as_dict() for row in queries.participant_results(offers=offers)])
