"""Owner API: standing answers (rules that answer offers), an offer's answer history, and
the battery behind a charger that prices the wear in every offer."""

from decimal import Decimal
from typing import Any

from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from settlement.api import fields
from settlement.api.offers import CommitmentField
from settlement.api.schema import ErrorOutput
from settlement.bounds import MAX_DATABASE_ID
from settlement.events import battery, operations, queries, standing
from settlement.events.models import StandingRuleVersion
from settlement.rating import money

WEEKDAYS = RegexValidator(r"^[1-7]+$", message="Name weekdays by digits 1 (Monday) to 7 (Sunday).")


class StandingRuleOutput(serializers.Serializer[Any]):
    """A standing rule at its latest version (`version`); earlier versions are kept."""

    id = serializers.IntegerField(source="rule_id")
    participant_id = serializers.IntegerField(source="rule.participant_id")
    version = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    active = serializers.BooleanField()
    charger_id = serializers.IntegerField(allow_null=True)
    min_price_per_kwh = serializers.CharField(allow_null=True)
    min_net_amount = serializers.CharField(allow_null=True)
    decline_below = serializers.BooleanField()
    max_kw = serializers.CharField(allow_null=True)
    weekdays = serializers.CharField(help_text="ISO weekdays, 1 Monday to 7 Sunday: `12345`.")
    start_hour = serializers.IntegerField()
    end_hour = serializers.IntegerField()
    monthly_limit = serializers.IntegerField(allow_null=True)
    reserve_percent = serializers.IntegerField(allow_null=True)
    created_by = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()


class StandingRuleDetailOutput(StandingRuleOutput):
    """A standing rule with every version it has had, oldest first."""

    versions = serializers.SerializerMethodField()

    @extend_schema(responses=StandingRuleOutput(many=True))
    def get_versions(self, version: StandingRuleVersion) -> list[dict[str, Any]]:
        return list(
            StandingRuleOutput(standing.history_of(rule_id=version.rule_id), many=True).data
        )


class StandingTermsInput(serializers.Serializer[Any]):
    """A standing rule's terms, each field bounded here as the operation bounds it, so that
    the schema says what a rule may be. Two rules across fields the schema cannot state stay
    the operation's (a 400 naming the field): a lowest price or a lowest net, at least one;
    `start_hour` before `end_hour`."""

    name = fields.Text(max_length=operations.NAME_LENGTH)
    min_price_per_kwh = fields.Decimal(
        # Below PRICE_CEILING ($10,000) at PRICE_PLACES: 4 whole digits, 5 places.
        max_digits=9,
        decimal_places=money.PRICE_PLACES,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        help_text="Accept when the offer's price per kWh is at least this (program's currency).",
    )
    min_net_amount = fields.Decimal(
        # Below AMOUNT_CEILING ($1,000,000) in magnitude, in cents: 6 whole digits.
        max_digits=8,
        decimal_places=money.AMOUNT_PLACES,
        required=False,
        allow_null=True,
        help_text="Accept when the offer's net after battery wear is at least this.",
    )
    decline_below = fields.Boolean(
        default=False, help_text="Decline (rather than leave open) an offer below the thresholds."
    )
    max_kw = CommitmentField(
        max_digits=None,
        decimal_places=None,
        required=False,
        allow_null=True,
        help_text="Commit at most this kW: above 0, at most 3 decimals (the charger maximum "
        "caps it when an offer is answered).",
    )
    weekdays = fields.Text(
        default=operations.ALL_WEEKDAYS,
        max_length=7,
        validators=[WEEKDAYS],
        help_text="ISO weekdays, 1 Monday to 7 Sunday: `12345`.",
    )
    start_hour = serializers.IntegerField(default=0, min_value=0, max_value=23)
    end_hour = serializers.IntegerField(
        default=operations.HOURS_IN_DAY, min_value=1, max_value=operations.HOURS_IN_DAY
    )
    monthly_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=operations.LARGEST_MONTHLY_LIMIT
    )
    reserve_percent = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100
    )
    position = serializers.IntegerField(
        default=1, min_value=1, max_value=operations.LARGEST_POSITION
    )
    charger_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_DATABASE_ID
    )

    def terms(self) -> operations.StandingTerms:
        """Return the validated input as the operation's terms."""
        given = self.validated_data
        return operations.StandingTerms(
            name=given["name"],
            min_price_per_kwh=given.get("min_price_per_kwh"),
            min_net_amount=given.get("min_net_amount"),
            decline_below=given["decline_below"],
            max_kw=given.get("max_kw"),
            weekdays=given["weekdays"],
            start_hour=given["start_hour"],
            end_hour=given["end_hour"],
            monthly_limit=given.get("monthly_limit"),
            reserve_percent=given.get("reserve_percent"),
            position=given["position"],
            charger_id=given.get("charger_id"),
        )


class StandingRuleInput(StandingTermsInput):
    """A new standing rule for one of the caller's participants."""

    participant_id = serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_ID)


class StandingRuleListView(APIView):
    """The standing rules of the caller's participants (latest versions), and new ones."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        responses={200: StandingRuleOutput(many=True)}, operation_id="standing_rules_list"
    )
    def get(self, request: Request) -> Response:
        versions = standing.latest_versions_for_user(user=signed_in.signed_in_user(request))
        return Response(StandingRuleOutput(versions, many=True).data)

    # 403: the caller is a viewer of the participant; 404: not a member of it.
    @extend_schema(
        request=StandingRuleInput,
        responses={201: StandingRuleDetailOutput, 403: ErrorOutput, 404: ErrorOutput},
        operation_id="standing_rules_create",
    )
    def post(self, request: Request) -> Response:
        given = StandingRuleInput(data=request.data)
        given.is_valid(raise_exception=True)
        user = signed_in.signed_in_user(request)
        participant = standing.access_participant_for_user(
            user=user, participant_id=given.validated_data["participant_id"]
        )
        version = operations.create_standing_rule(
            participant=participant, terms=given.terms(), user=user, now=timezone.now()
        )
        return Response(StandingRuleDetailOutput(version).data, status=status.HTTP_201_CREATED)


class StandingRuleDetailView(APIView):
    """One standing rule with its versions; PUT makes a new version with the terms given."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        responses={200: StandingRuleDetailOutput}, operation_id="standing_rules_retrieve"
    )
    def get(self, request: Request, rule_id: int) -> Response:
        rule = standing.access_rule_for_user(
            user=signed_in.signed_in_user(request), rule_id=rule_id
        )
        return Response(StandingRuleDetailOutput(standing.latest_version(rule=rule)).data)

    @extend_schema(
        request=StandingTermsInput,
        responses={200: StandingRuleDetailOutput, 403: ErrorOutput},
        operation_id="standing_rules_update",
    )
    def put(self, request: Request, rule_id: int) -> Response:
        user = signed_in.signed_in_user(request)
        rule = standing.access_rule_for_user(user=user, rule_id=rule_id)
        given = StandingTermsInput(data=request.data)
        given.is_valid(raise_exception=True)
        version = operations.change_standing_rule(
            rule=rule, terms=given.terms(), user=user, now=timezone.now()
        )
        return Response(StandingRuleDetailOutput(version).data)


class StandingRuleDisableView(APIView):
    """Disable a standing rule (a new, inactive version): it answers no more offers."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=None,
        responses={200: StandingRuleDetailOutput, 403: ErrorOutput},
        operation_id="standing_rules_disable",
    )
    def post(self, request: Request, rule_id: int) -> Response:
        user = signed_in.signed_in_user(request)
        rule = standing.access_rule_for_user(user=user, rule_id=rule_id)
        version = operations.disable_standing_rule(rule=rule, user=user, now=timezone.now())
        return Response(StandingRuleDetailOutput(version).data)


class AnswerOutput(serializers.Serializer[Any]):
    """One answer to an offer: by hand (`responded_by`) or by a standing rule version."""

    id = serializers.IntegerField()
    answer = serializers.CharField()
    modification = serializers.IntegerField()
    committed_kw = serializers.CharField(allow_null=True)
    reserve_percent = serializers.IntegerField(allow_null=True)
    responded_by = serializers.EmailField(source="responded_by.email", allow_null=True)
    rule_id = serializers.IntegerField(source="rule_version.rule_id", allow_null=True)
    rule_version = serializers.IntegerField(source="rule_version.version", allow_null=True)
    rule_name = serializers.CharField(source="rule_version.name", allow_null=True)
    change = serializers.CharField()
    responded_at = serializers.DateTimeField()
    current = serializers.SerializerMethodField()

    def get_current(self, response: Any) -> bool:
        return bool(response.pk == self.context["current_id"])


class OfferAnswersView(APIView):
    """Every answer to one of the caller's offers, oldest first; the last one counts."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: AnswerOutput(many=True)}, operation_id="offers_answers")
    def get(self, request: Request, offer_id: int) -> Response:
        offer = queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
        answers = list(standing.answers_of(offer=offer))
        context = {"current_id": answers[-1].pk if answers else None}
        return Response(AnswerOutput(answers, many=True, context=context).data)


class BatteryOutput(serializers.Serializer[Any]):
    """The battery behind a charger as offers price it (the owner's setting or the default)."""

    charger_id = serializers.IntegerField()
    usable_kwh = serializers.CharField()
    wear_cost_per_kwh = serializers.CharField()
    origin = serializers.ChoiceField(choices=["owner", "default"])
    set_at = serializers.DateTimeField(allow_null=True)


class BatteryInput(serializers.Serializer[Any]):
    """A new battery setting; checked by the operation."""

    # As `operations.set_battery` bounds them: above 0 and below 1,000,000 kWh in hundredths;
    # a wear cost from 0, below $10,000/kWh, at PRICE_PLACES.
    usable_kwh = fields.Decimal(max_digits=8, decimal_places=2, min_value=Decimal("0.01"))
    wear_cost_per_kwh = fields.Decimal(
        max_digits=9, decimal_places=money.PRICE_PLACES, min_value=Decimal(0)
    )


def _battery(charger_id: int) -> dict[str, object]:
    setting = battery.current_setting(charger_id=charger_id)
    if setting is None:
        return {
            "charger_id": charger_id,
            "usable_kwh": str(battery.DEFAULT_USABLE_KWH),
            "wear_cost_per_kwh": str(battery.DEFAULT_WEAR_COST_PER_KWH),
            "origin": "default",
            "set_at": None,
        }
    return {
        "charger_id": charger_id,
        "usable_kwh": str(setting.usable_kwh),
        "wear_cost_per_kwh": str(setting.wear_cost_per_kwh),
        "origin": "owner",
        "set_at": setting.set_at,
    }


class BatteryView(APIView):
    """The battery behind one of the caller's chargers; PUT sets a new one (owner, manager)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: BatteryOutput}, operation_id="chargers_battery_retrieve")
    def get(self, request: Request, charger_id: int) -> Response:
        charger = battery.access_charger_for_user(
            user=signed_in.signed_in_user(request), charger_id=charger_id
        )
        return Response(BatteryOutput(_battery(charger.pk)).data)

    @extend_schema(
        request=BatteryInput,
        responses={200: BatteryOutput, 403: ErrorOutput},
        operation_id="chargers_battery_update",
    )
    def put(self, request: Request, charger_id: int) -> Response:
        user = signed_in.signed_in_user(request)
        charger = battery.access_charger_for_user(user=user, charger_id=charger_id)
        given = BatteryInput(data=request.data)
        given.is_valid(raise_exception=True)
        operations.set_battery(
            charger=charger,
            usable_kwh=given.validated_data["usable_kwh"],
            wear_cost_per_kwh=given.validated_data["wear_cost_per_kwh"],
            user=user,
            now=timezone.now(),
        )
        return Response(BatteryOutput(_battery(charger.pk)).data)
