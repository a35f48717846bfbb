"""Staff API: a rating preview of a meter's readings with a tariff plan."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Channel
from settlement.api import fields
from settlement.api.permissions import IsStaff
from settlement.api.schema import ErrorOutput
from settlement.rate_preview import preview
from settlement.rate_preview.serializers import RatePreviewOutput


class RatePreviewInput(serializers.Serializer[Any]):
    tariff = fields.Text(max_length=40)
    meter = fields.Text(max_length=64)
    start = serializers.DateField(help_text="First local date, in the tariff's zone.")
    end = serializers.DateField(
        help_text="Local date after the last one (exclusive): 1 to 366 days after start."
    )
    channel_kind = serializers.ChoiceField(
        choices=Channel.Kind.choices, required=False, help_text="Default: the meter's export."
    )


class RatePreviewView(APIView):
    """Price a meter's readings over local dates [start, end) with a tariff (staff only)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        parameters=[RatePreviewInput],
        # 404: no such tariff or meter; 409: the tariff has no version in force on some
        # date, or is in another zone than the meter's site.
        responses={200: RatePreviewOutput, 404: ErrorOutput, 409: ErrorOutput},
        operation_id="staff_rate_preview",
    )
    def get(self, request: Request) -> Response:
        given = RatePreviewInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        result = preview.preview_rating(
            tariff_code=given.validated_data["tariff"],
            meter_id=given.validated_data["meter"],
            channel_kind=given.validated_data.get("channel_kind"),
            start=given.validated_data["start"],
            end=given.validated_data["end"],
        )
        # The command prints the same serializer: one JSON for both interfaces.
        return Response(RatePreviewOutput(result).data)
