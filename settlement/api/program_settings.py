"""Staff API: a program's settings, and one endpoint per section to change it (audited)."""

from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from accounts.models import Program
from settlement.api.permissions import IsStaff
from settlement.api.schema import ErrorOutput
from settlement.metering import program_settings as metering_settings
from settlement.metering.models import Source
from settlement.payouts import program_settings as payout_settings
from settlement.payouts.models import PayoutMethod
from settlement.programs import queries as program_queries
from settlement.statements.review import thresholds

# The bounds each section's operation checks (`save_thresholds`, `save_payout_settings`,
# `save_metering_settings`), said again here so that the schema says them: the operations
# stay the one check of the staff page's forms.
CENT = Decimal("0.01")


class ThresholdsSerializer(serializers.Serializer[Any]):
    review_cap = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=CENT)
    two_approver_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=CENT)
    change_factor = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal(1))
    data_quality_share = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=Decimal(0), max_value=Decimal(1)
    )
    settle_after_days = serializers.IntegerField(
        required=False, default=3, min_value=0, max_value=28
    )


class PayoutSettingsSerializer(serializers.Serializer[Any]):
    method = serializers.ChoiceField(choices=PayoutMethod.values)
    # A PositiveIntegerField: 0 to 2^31 - 1 on every database.
    minimum_cents = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    tax_form = serializers.ChoiceField(choices=payout_settings.TAX_FORMS)
    organization_tax_form = serializers.ChoiceField(
        choices=["", *payout_settings.TAX_FORMS], required=False, default="", allow_blank=True
    )


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": list(Source.values)},
        "minItems": len(Source.values),
        "maxItems": len(Source.values),
        "uniqueItems": True,
        "description": "Every source once, most trusted first.",
    }
)
class PrecedenceField(serializers.ListField):
    """Every source exactly once, most trusted first (`models.validate_precedence`)."""

    def __init__(self, **kwargs: Any) -> None:
        count = len(Source.values)
        super().__init__(
            child=serializers.ChoiceField(choices=Source.values),
            min_length=count,
            max_length=count,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> list[str]:
        """Return the sources; raise ValidationError when one is named twice."""
        sources: list[str] = super().to_internal_value(data)
        if len(set(sources)) != len(sources):
            raise serializers.ValidationError("name each source once")
        return sources


class MeteringSettingsSerializer(serializers.Serializer[Any]):
    interpolate_gaps_up_to_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60)
    site_max_kw = serializers.DecimalField(
        max_digits=8, decimal_places=3, min_value=Decimal("0.001")
    )
    source_precedence = PrecedenceField()


class ChangeOutput(serializers.Serializer[Any]):
    section = serializers.CharField()
    changed_by = serializers.CharField(source="changed_by.email")
    changed_at = serializers.DateTimeField()
    before = serializers.DictField()
    after = serializers.DictField()


class SettingsOutput(serializers.Serializer[Any]):
    program = serializers.CharField(source="thresholds.program.code")
    settlement = ThresholdsSerializer(source="thresholds")
    payout = PayoutSettingsSerializer()
    metering = MeteringSettingsSerializer()
    changes = ChangeOutput(many=True)


def _settings_response(program: Program) -> Response:
    return Response(SettingsOutput(payout_settings.settings_of(program=program)).data)


class ProgramSettingsView(APIView):
    """A program's review thresholds, payout and meter-data settings, and their changes."""

    permission_classes = (IsStaff,)

    @extend_schema(responses={200: SettingsOutput, 404: ErrorOutput})
    def get(self, request: Request, code: str) -> Response:
        return _settings_response(program_queries.program_by_code(code=code))


class ThresholdsView(APIView):
    """Set a program's review thresholds (program administrators)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        request=ThresholdsSerializer,
        responses={200: SettingsOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        operation_id="staff_program_settings_settlement",
    )
    def post(self, request: Request, code: str) -> Response:
        program = program_queries.program_by_code(code=code)
        given = ThresholdsSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        thresholds.save_thresholds(
            program=program,
            thresholds=thresholds.Thresholds(**given.validated_data),
            changed_by=signed_in.signed_in_user(request),
            now=timezone.now(),
        )
        return _settings_response(program)


class PayoutSettingsView(APIView):
    """Set a program's payout method, minimum and tax forms (program administrators)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        request=PayoutSettingsSerializer,
        responses={200: SettingsOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        operation_id="staff_program_settings_payout",
    )
    def post(self, request: Request, code: str) -> Response:
        program = program_queries.program_by_code(code=code)
        given = PayoutSettingsSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        payout_settings.save_payout_settings(
            program=program,
            settings=payout_settings.PayoutSettings(**given.validated_data),
            changed_by=signed_in.signed_in_user(request),
            now=timezone.now(),
        )
        return _settings_response(program)


class MeteringSettingsView(APIView):
    """Set how a program treats meter data (program administrators)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        request=MeteringSettingsSerializer,
        responses={200: SettingsOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        operation_id="staff_program_settings_metering",
    )
    def post(self, request: Request, code: str) -> Response:
        program = program_queries.program_by_code(code=code)
        given = MeteringSettingsSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        metering_settings.save_metering_settings(
            program=program,
            settings=metering_settings.MeteringSettings(**given.validated_data),
            changed_by=signed_in.signed_in_user(request),
            now=timezone.now(),
        )
        return _settings_response(program)
