"""Owner API: my notifications (list, unread count, mark read), which kinds I am told
about, and an accepted offer's event as an .ics calendar entry."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from settlement.api import fields, query
from settlement.api.schema import ErrorOutput
from settlement.bounds import MAX_DATABASE_ID, MAX_PAGE
from settlement.events import calendar
from settlement.events import queries as event_queries
from settlement.notices import operations, queries
from settlement.notices.models import NotificationKind


class NotificationOutput(serializers.Serializer[Any]):
    """One thing the caller was told, by email and in the portal."""

    id = serializers.IntegerField()
    participant_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField(help_text="The portal page it is about (a path).")
    emailed_to = serializers.CharField(help_text="Where the email went (empty: none was sent).")
    time_zone = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationPageOutput(serializers.Serializer[Any]):
    """One page of notifications (`limit`, `offset`), newest first, and the unread count."""

    count = serializers.IntegerField()
    unread = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationOutput(many=True)


class NotificationFilter(query.QueryParameters):
    """The list's query parameters; a value it cannot filter by is a 400 naming it."""

    unread = serializers.BooleanField(required=False, help_text="Only unread ones (true).")
    kind = serializers.ChoiceField(choices=NotificationKind.choices, required=False)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, help_text="Per page (100)."
    )
    offset = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_DATABASE_ID, help_text="How many to skip."
    )


class NotificationPagination(LimitOffsetPagination):
    """DRF's limit/offset pages, never more than MAX_PAGE at once, with the unread count."""

    default_limit = MAX_PAGE
    max_limit = MAX_PAGE

    def __init__(self, unread: int) -> None:
        super().__init__()
        self.unread = unread

    def get_paginated_response(self, data: Any) -> Response:
        """Return the page with `unread` beside DRF's count and links."""
        response = super().get_paginated_response(data)
        response.data = {"count": response.data["count"], "unread": self.unread, **response.data}
        return response


class NotificationListView(APIView):
    """The caller's notifications, newest first (filters: unread, kind)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        parameters=[NotificationFilter],
        responses={200: NotificationPageOutput},
        operation_id="v1_notifications_list",
    )
    def get(self, request: Request) -> Response:
        user = signed_in.signed_in_user(request)
        given = NotificationFilter(data=request.query_params)
        given.is_valid(raise_exception=True)
        found = queries.notifications_of(user=user)
        if given.validated_data.get("unread"):
            found = found.filter(read_at__isnull=True)
        if "kind" in given.validated_data:
            found = found.filter(kind=given.validated_data["kind"])
        paginator = NotificationPagination(unread=queries.unread_count(user=user))
        page = paginator.paginate_queryset(found, request, view=self)
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)


class UnreadOutput(serializers.Serializer[Any]):
    """How many of the caller's notifications are unread."""

    unread = serializers.IntegerField()


class UnreadCountView(APIView):
    """How many of the caller's notifications are unread (what the portal's menu shows)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: UnreadOutput}, operation_id="v1_notifications_unread")
    def get(self, request: Request) -> Response:
        return Response({"unread": queries.unread_count(user=signed_in.signed_in_user(request))})


class MarkReadInput(serializers.Serializer[Any]):
    """Which notifications to mark read: `all: true` marks every one, else those in `ids`
    (none named, none marked: the answer still says how many stay unread)."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_ID),
        required=False,
        default=list,
        max_length=1000,
        help_text="Ids of the caller's notifications; others' ids are ignored like unknown ones.",
    )
    all = fields.Boolean(
        required=False, default=False, help_text="Mark every notification read (true)."
    )


class MarkReadOutput(serializers.Serializer[Any]):
    """How many were marked read now, and how many stay unread."""

    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class MarkReadView(APIView):
    """Mark some or all of the caller's notifications read."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=MarkReadInput,
        responses={200: MarkReadOutput},
        operation_id="v1_notifications_mark_read",
    )
    def post(self, request: Request) -> Response:
        user = signed_in.signed_in_user(request)
        given = MarkReadInput(data=request.data)
        given.is_valid(raise_exception=True)
        ids = None if given.validated_data.get("all") else given.validated_data["ids"]
        marked = operations.mark_read(user=user, notification_ids=ids, now=timezone.now())
        return Response({"marked": marked, "unread": queries.unread_count(user=user)})


class PreferencesOutput(serializers.Serializer[Any]):
    """Every kind of notification with whether the caller is told about it."""

    preferences = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Kind -> on (true) or off (false): " + ", ".join(NotificationKind.values),
    )


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            kind: {"type": "boolean", "description": label}
            for kind, label in NotificationKind.choices
        },
        # An unknown kind is refused (preference_invalid naming it), and the schema says so.
        "additionalProperties": False,
    }
)
class PreferenceChanges(serializers.DictField):
    """Kind -> on (true) or off (false); a kind not named keeps its setting. Which kinds and
    values are the operation's check (`set_preferences`), whose refusal names the kind."""

    child = serializers.JSONField()


class PreferencesInput(serializers.Serializer[Any]):
    """The kinds to change; none named changes nothing (the answer says where each stands)."""

    preferences = PreferenceChanges(required=False)


class PreferencesView(APIView):
    """Which kinds of notification the caller is told about (a kind off: no email, no row)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: PreferencesOutput}, operation_id="v1_notification_preferences")
    def get(self, request: Request) -> Response:
        user = signed_in.signed_in_user(request)
        return Response({"preferences": queries.preferences_of(user=user)})

    @extend_schema(
        request=PreferencesInput,
        responses={200: PreferencesOutput},
        operation_id="v1_notification_preferences_update",
    )
    def patch(self, request: Request) -> Response:
        given = PreferencesInput(data=request.data)
        given.is_valid(raise_exception=True)
        preferences = operations.set_preferences(
            user=signed_in.signed_in_user(request),
            changes=dict(given.validated_data.get("preferences", {})),
            now=timezone.now(),
        )
        return Response({"preferences": preferences})


class CalendarRenderer(BaseRenderer):
    """text/calendar, so a client that asks for it is answered (errors stay JSON bodies)."""

    media_type = calendar.MEDIA_TYPE
    format = "ics"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Return an entry as it is; an error body (a dict) as JSON."""
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class OfferCalendarView(APIView):
    """An accepted offer's event as an iCalendar entry (local times in the program's zone,
    a stable UID, SEQUENCE = the event's modification, STATUS:CANCELLED once cancelled)."""

    permission_classes = (IsAuthenticated,)
    renderer_classes = (JSONRenderer, CalendarRenderer)

    @extend_schema(
        responses={
            (200, calendar.MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The .ics file (RFC 5545)."
            ),
            409: ErrorOutput,
        },
        operation_id="v1_offer_calendar",
    )
    def get(self, request: Request, offer_id: int) -> HttpResponse:
        offer = event_queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
        calendar.require_calendar(offer)
        response = HttpResponse(
            calendar.entry(offer=offer, stamp=timezone.now()),
            content_type=f"{calendar.MEDIA_TYPE}; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{calendar.filename(offer)}"'
        return response
