"""Payout endpoints: Stripe's webhook, and payout history for owners and staff."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from settlement.api import query
from settlement.api.schema import ErrorOutput
from settlement.bounds import MAX_DATABASE_ID, MAX_PAGE
from settlement.payouts import gateway, queries, webhooks
from settlement.payouts.models import Payout, PayoutMethod


class StripeWebhookView(APIView):
    """Receive a Stripe event (platform or Connect), verified on its raw body."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # The raw bytes are what Stripe signed; DRF must not parse them first.
    parser_classes = ()

    # 400: unsigned, badly signed, stamped beyond the tolerance, or malformed (recorded).
    # 409: no webhook secret is configured, so no event can be verified.
    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Stripe's signature of the raw body, made with the webhook secret.",
            )
        ],
        responses={200: dict[str, Any], 400: ErrorOutput, 409: ErrorOutput},
    )
    def post(self, request: Request) -> Response:
        now = timezone.now()
        event = gateway.verified_event(
            payload=request.body,
            signature_header=request.headers.get("Stripe-Signature", ""),
            now=now,
        )
        record, is_new = webhooks.receive_event(event=event, now=now)
        return Response(
            {"received": record.event_id, "status": record.status, "duplicate": not is_new}
        )


class PayoutOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    participant = serializers.IntegerField(source="participant_id")
    program = serializers.CharField(source="program.code")
    method = serializers.CharField()
    amount_cents = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField(source="failure_message")
    next_step = serializers.SerializerMethodField()
    stripe_transfer_id = serializers.CharField(allow_null=True)
    statements = serializers.SerializerMethodField()

    def get_next_step(self, payout: Any) -> str:
        return queries.next_step(payout=payout)

    def get_statements(self, payout: Any) -> list[int]:
        return [statement.pk for statement in queries.statements_paid_by(payout=payout)]


class PayoutPageOutput(serializers.Serializer[Any]):
    """One page of payouts (`limit`, `offset`), with the links to the pages around it."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PayoutOutput(many=True)


class PayoutFilter(query.QueryParameters):
    """The list's query parameters; a value the list cannot filter by is a 400 naming it."""

    status = serializers.ChoiceField(choices=Payout.Status.choices, required=False)
    method = serializers.ChoiceField(choices=PayoutMethod.choices, required=False)
    program = serializers.SlugField(required=False, max_length=50)
    participant = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, help_text="Payouts per page (100)."
    )
    # Bounded like an id: PostgreSQL's OFFSET is a bigint.
    offset = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_DATABASE_ID, help_text="Payouts to skip."
    )


class PayoutPagination(LimitOffsetPagination):
    """DRF's limit/offset pages, never more than MAX_PAGE payouts at once."""

    max_limit = MAX_PAGE


class PayoutListView(APIView):
    """List payouts: an owner's own, or all of them for staff (filters: status, method,
    program, participant)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        parameters=[PayoutFilter],
        responses={200: PayoutPageOutput},
        operation_id="v1_payouts_list",
    )
    def get(self, request: Request) -> Response:
        user = signed_in.signed_in_user(request)
        given = PayoutFilter(data=request.query_params)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        payouts = queries.filter_payouts(
            queries.payouts_visible_to(user=user),
            status=data.get("status", ""),
            method=data.get("method", ""),
            program=data.get("program", ""),
            participant=str(data.get("participant", "")),
        ).order_by("-created_at", "-pk")
        paginator = PayoutPagination()
        page = paginator.paginate_queryset(payouts, request, view=self)
        return paginator.get_paginated_response(PayoutOutput(page, many=True).data)


class PayoutDetailView(APIView):
    """One payout; 404 for anyone who may not see it."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: PayoutOutput})
    def get(self, request: Request, payout_id: int) -> Response:
        user = signed_in.signed_in_user(request)
        payout = queries.access_payout(user=user, payout_id=payout_id)
        return Response(PayoutOutput(payout).data)
