"""Staff API: a reading's current value and its earlier revisions, by its natural key."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from accounts.models import Channel
from settlement.api.permissions import IsStaff
from settlement.api.schema import ErrorOutput
from settlement.metering import reading_history


class ReadingQuery(serializers.Serializer[Any]):
    meter_id = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    start = serializers.DateTimeField(help_text="The interval's start, ISO-8601 with its offset.")


class ReadingValueOutput(serializers.Serializer[Any]):
    revision = serializers.IntegerField()
    duration_s = serializers.IntegerField()
    wh = serializers.IntegerField()
    quality = serializers.CharField()
    upload_id = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    superseded_by_id = serializers.IntegerField(allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)


class ReadingHistoryOutput(serializers.Serializer[Any]):
    meter_id = serializers.CharField()
    kind = serializers.CharField()
    start = serializers.DateTimeField()
    timezone = serializers.CharField()
    current = ReadingValueOutput()
    earlier = ReadingValueOutput(many=True)


class ReadingHistoryView(APIView):
    """Return one reading's current value and every earlier revision (utility staff only)."""

    permission_classes = (IsStaff,)

    # 404: no reading of that meter, kind and start.
    @extend_schema(
        parameters=[ReadingQuery], responses={200: ReadingHistoryOutput, 404: ErrorOutput}
    )
    def get(self, request: Request) -> Response:
        query = ReadingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = signed_in.signed_in_user(request)
        reading = reading_history.access_reading(
            user=user,
            meter_id=query.validated_data["meter_id"],
            kind=query.validated_data["kind"],
            start=query.validated_data["start"],
        )
        return Response(ReadingHistoryOutput(reading_history.history(reading=reading)).data)
