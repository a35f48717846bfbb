"""API views of the foundation: the versioned root, the caller's identity, staff lookups."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts import queries, signed_in
from accounts.models import Channel, Participant, Site
from settlement.api.permissions import IsStaff


class ApiRootView(APIView):
    """List the endpoints of API version 1."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: dict[str, str]})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "me": reverse("api:me", request=request),
                "staff_participants": reverse("api:staff-participants", request=request),
                "schema": reverse("schema", request=request),
            }
        )


class EnrollmentOutput(serializers.Serializer[Any]):
    program = serializers.CharField(source="program.code")
    site_account = serializers.CharField(source="site.account_number")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class ChannelOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    charger = serializers.CharField(source="charger.external_id", allow_null=True)


class MeterOutput(serializers.Serializer[Any]):
    meter_id = serializers.CharField()
    channels = ChannelOutput(many=True)


class SiteOutput(serializers.Serializer[Any]):
    """A site with what an upload needs: its id, its zone, its meters and their channels."""

    id = serializers.IntegerField()
    account_number = serializers.CharField()
    timezone = serializers.CharField()
    meters = serializers.SerializerMethodField()

    @extend_schema_field(MeterOutput(many=True))
    def get_meters(self, site: Site) -> list[dict[str, object]]:
        channels = sorted(site.channels.all(), key=lambda channel: (channel.meter_id, channel.kind))
        meters: dict[str, list[Channel]] = {}
        for channel in channels:
            meters.setdefault(channel.meter_id, []).append(channel)
        return [
            MeterOutput({"meter_id": meter_id, "channels": members}).data
            for meter_id, members in meters.items()
        ]


class MeOutput(serializers.Serializer[Any]):
    class ParticipantOutput(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        name = serializers.CharField()
        email = serializers.EmailField()

    email = serializers.EmailField()
    is_staff = serializers.BooleanField()
    participants = ParticipantOutput(many=True)
    sites = SiteOutput(many=True)
    enrollments = EnrollmentOutput(many=True)


class MeView(APIView):
    """Return who is calling: their participants, sites (with the ids, zones, meters and
    channels an upload needs) and enrollments, never anyone else's."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        user = signed_in.signed_in_user(request)
        data = {
            "email": user.email,
            "is_staff": queries.is_staff_user(user=user),
            "participants": queries.participants_of(user=user).order_by("pk"),
            "sites": queries.sites_of(user=user)
            .prefetch_related("channels__charger")
            .order_by("account_number"),
            "enrollments": queries.enrollments_of(user=user).order_by("pk"),
        }
        return Response(MeOutput(data).data)


class StaffParticipantOutput(serializers.ModelSerializer[Participant]):
    class Meta:
        model = Participant
        fields = ("id", "kind", "name", "email")


class StaffParticipantListView(APIView):
    """List every participant (utility staff only)."""

    permission_classes = (IsStaff,)

    @extend_schema(responses={200: StaffParticipantOutput(many=True)})
    def get(self, request: Request) -> Response:
        participants = Participant.objects.order_by("pk")
        return Response(StaffParticipantOutput(participants, many=True).data)
