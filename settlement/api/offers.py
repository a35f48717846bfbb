"""Owner API: the caller's offers, and accepting or declining one."""

from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from settlement.api import deliveries, fields
from settlement.api.schema import ErrorOutput
from settlement.events import operations, queries
from settlement.events.models import Offer


class RuleNameOutput(serializers.Serializer[Any]):
    """The standing rule version that gave the offer's current answer."""

    id = serializers.IntegerField()
    version = serializers.IntegerField()
    name = serializers.CharField()


class OfferOutput(serializers.Serializer[Any]):
    """An offer as its owner sees it: the event in local time, its worth, the answer."""

    id = serializers.IntegerField()
    program = serializers.CharField(source="event.program.code")
    event_id = serializers.IntegerField()
    kind = serializers.CharField(source="event.kind")
    signal = serializers.CharField(source="event.signal")
    price_per_kwh = serializers.CharField(source="event.price_per_kwh")
    target_kw = serializers.CharField(source="event.target_kw", allow_null=True)
    starts_at = serializers.DateTimeField(source="event.starts_at")
    ends_at = serializers.DateTimeField(source="event.ends_at")
    response_deadline = serializers.DateTimeField(source="event.response_deadline")
    time_zone = serializers.CharField(source="event.program.timezone")
    local_window = serializers.SerializerMethodField()
    modification = serializers.IntegerField(source="event.modification")
    event_status = serializers.SerializerMethodField()
    status = serializers.CharField()
    committed_kw = serializers.CharField(allow_null=True)
    max_kw = serializers.CharField(allow_null=True)
    ceiling_amount = serializers.CharField(allow_null=True)
    estimate_amount = serializers.CharField(allow_null=True)
    wear_amount = serializers.CharField(
        allow_null=True, help_text="Battery wear of delivering the commitment (docs/events.md)."
    )
    net_amount = serializers.CharField(
        allow_null=True,
        help_text="The estimate (the most it can earn without history) less the wear.",
    )
    currency = serializers.CharField(source="event.program.currency")
    reserve_percent = serializers.IntegerField(allow_null=True)
    answered_by_rule = serializers.SerializerMethodField()
    worth = serializers.DictField()
    delivery = serializers.SerializerMethodField()

    def get_local_window(self, offer: Offer) -> str:
        zone = ZoneInfo(offer.event.program.timezone)
        start = offer.event.starts_at.astimezone(zone)
        end = offer.event.ends_at.astimezone(zone)
        return f"{start:%Y-%m-%d %H:%M} to {end:%H:%M} {end:%Z} ({zone.key})"

    @extend_schema_field(RuleNameOutput(allow_null=True))
    def get_answered_by_rule(self, offer: Offer) -> dict[str, object] | None:
        version = offer.rule_version
        if version is None:
            return None
        return {"id": version.rule_id, "version": version.version, "name": version.name}

    def get_event_status(self, offer: Offer) -> str:
        return queries.event_status(offer.event, now=self.context["now"]).value

    @extend_schema_field(deliveries.DeliveryOutput(allow_null=True))
    def get_delivery(self, offer: Offer) -> dict[str, object] | None:
        result = queries.ParticipantResult(offer, queries.current_delivery(offer)).as_dict()
        if result["baseline_kwh"] is None and result["delivered_kwh"] is None:
            return None
        return {key: result[key] for key in deliveries.DELIVERY_KEYS}


# What `operations.validate_commitment` takes, as a pattern: a digit that is not 0, at most
# 7 digits before the point (the column's 9999999.999) and 3 after it.
COMMITMENT = r"^(?=[^1-9]*[1-9])(?:\d{1,7}(?:\.\d{0,3})?|\.\d{1,3})$"


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": COMMITMENT, "nullable": True}
)
class CommitmentField(fields.Decimal):
    """The committed kW: parsed here, checked by the operation (the one check of the page too)."""


class AcceptInput(serializers.Serializer[Any]):
    # Only parsed here: what a commitment may be is `operations.validate_commitment`, the
    # one check the portal's form goes through too.
    committed_kw = CommitmentField(
        max_digits=None,
        decimal_places=None,
        required=False,
        allow_null=True,
        help_text="Optional: the kW you commit to: above 0, at most 3 decimals, at most your "
        "charger's maximum (above it: 409).",
    )
    reserve_percent = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=100,
        help_text="Optional: the battery share (0-100 %) to keep, recorded with the answer.",
    )


class OfferListView(APIView):
    """The caller's offers, newest event first."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: OfferOutput(many=True)}, operation_id="offers_list")
    def get(self, request: Request) -> Response:
        offers = queries.offers_for_user(user=signed_in.signed_in_user(request))
        return Response(OfferOutput(offers, many=True, context={"now": timezone.now()}).data)


class OfferDetailView(APIView):
    """One of the caller's offers (404 for anyone else's)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: OfferOutput}, operation_id="offers_retrieve")
    def get(self, request: Request, offer_id: int) -> Response:
        offer = queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
        return Response(OfferOutput(offer, context={"now": timezone.now()}).data)


class OfferAcceptView(APIView):
    """Accept an offer, optionally committing a kW, until its deadline; an answered offer may
    be answered again (another kW, or accept after declining) until then."""

    permission_classes = (IsAuthenticated,)

    # 403: the caller may view the participant's offers but not act for it (a viewer).
    # 409: the offer is closed (deadline passed, event cancelled) or already answered, or
    # the commitment is above the charger's maximum.
    @extend_schema(
        request=AcceptInput,
        responses={200: OfferOutput, 403: ErrorOutput, 409: ErrorOutput},
        operation_id="offers_accept",
    )
    def post(self, request: Request, offer_id: int) -> Response:
        offer = queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
        given = AcceptInput(data=request.data)
        given.is_valid(raise_exception=True)
        now = timezone.now()
        operations.accept_offer(
            offer=offer,
            committed_kw=given.validated_data.get("committed_kw"),
            reserve_percent=given.validated_data.get("reserve_percent"),
            user=signed_in.signed_in_user(request),
            now=now,
        )
        offer = queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
        return Response(OfferOutput(offer, context={"now": now}).data)


class OfferDeclineView(APIView):
    """Decline an offer until its deadline, also one accepted before."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=None,
        responses={200: OfferOutput, 403: ErrorOutput, 409: ErrorOutput},
        operation_id="offers_decline",
    )
    def post(self, request: Request, offer_id: int) -> Response:
        offer = queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
        now = timezone.now()
        operations.decline_offer(offer=offer, user=signed_in.signed_in_user(request), now=now)
        offer = queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
        return Response(OfferOutput(offer, context={"now": now}).data)
