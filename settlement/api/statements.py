"""Settlement API: staff start runs and decide on statements; owners read their own."""

from typing import Any

from django.core.validators import RegexValidator
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import queries as account_queries
from accounts import signed_in
from settlement.api import fields, query
from settlement.api.permissions import IsStaff
from settlement.api.schema import ErrorOutput
from settlement.bounds import MAX_DATABASE_ID
from settlement.statements import periods
from settlement.statements.review import access, decisions, exports
from settlement.statements.review import queries as statement_queries
from settlement.statements.runs import operations, reproduction

# A calendar month YYYY-MM of the years 0001 to 9998 (its end, the next month, is a date).
MONTH = RegexValidator(r"^(?!0000|9999)\d{4}-(?:0[1-9]|1[0-2])$", "Give a month YYYY-MM.")
RUN_TYPES = ["initial", "recalculation", "final"]


class RunInput(serializers.Serializer[Any]):
    program = fields.Text(max_length=40)
    period = fields.Text(
        max_length=7, required=False, validators=[MONTH], help_text="YYYY-MM, local"
    )
    start = serializers.DateField(required=False, help_text="First local date")
    end = serializers.DateField(
        required=False, help_text="Local date after the last: 1 to 366 days after start"
    )
    type = serializers.ChoiceField(choices=RUN_TYPES, default="initial")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_month = "period" in attrs
        has_dates = "start" in attrs or "end" in attrs
        if has_month == has_dates or (has_dates and not ("start" in attrs and "end" in attrs)):
            raise serializers.ValidationError(
                {"period": ["give either period (YYYY-MM) or both start and end"]}
            )
        return attrs


class RunMonthInput(serializers.Serializer[Any]):
    """A run of one calendar month (the schema's first form of `RunInput`)."""

    program = fields.Text(max_length=40)
    period = fields.Text(max_length=7, validators=[MONTH], help_text="YYYY-MM, local")
    type = serializers.ChoiceField(choices=RUN_TYPES, default="initial")


class RunDatesInput(serializers.Serializer[Any]):
    """A run of local dates [start, end) (the schema's second form of `RunInput`)."""

    program = fields.Text(max_length=40)
    start = serializers.DateField(help_text="First local date")
    end = serializers.DateField(help_text="Local date after the last: 1 to 366 days after start")
    type = serializers.ChoiceField(choices=RUN_TYPES, default="initial")


# What the schema says a run's body is: a month or a range of dates, never both.
RUN_INPUT = PolymorphicProxySerializer(
    component_name="RunInput",
    serializers=[RunMonthInput, RunDatesInput],
    resource_type_field_name=None,
)


class ReasonInput(serializers.Serializer[Any]):
    # Every decision needs one (`decisions.ReasonRequired`): the schema says so.
    reason = fields.Text(max_length=2000)


class BulkApproveInput(serializers.Serializer[Any]):
    run = serializers.IntegerField(min_value=1, max_value=MAX_DATABASE_ID)
    reason = fields.Text(max_length=2000)


class StatementFilter(query.QueryParameters):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=1000)
    run = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DATABASE_ID)
    state = fields.Text(required=False)
    flag = fields.Text(required=False)
    program = fields.Text(required=False)
    period = fields.Text(required=False)


class RunSummaryOutput(serializers.Serializer[Any]):
    """A run's summary (`statement_queries.run_summary`); the fuzz run checks they agree."""

    run_id = serializers.IntegerField()
    program = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    type = serializers.CharField()
    status = serializers.CharField()
    sequence = serializers.IntegerField()
    started_by = serializers.EmailField(
        allow_null=True, help_text="The maker; null when started automatically or by a command."
    )
    started_automatically = serializers.BooleanField()
    statements = serializers.IntegerField()
    total = serializers.CharField(help_text='A decimal amount, e.g. "19.82".')
    flagged = serializers.IntegerField()
    not_settleable = serializers.IntegerField()
    chunks = serializers.IntegerField()
    inputs_sha256 = serializers.CharField(allow_blank=True)
    result_sha256 = serializers.CharField(allow_blank=True)
    error = serializers.CharField(allow_blank=True)


class RunDetailOutput(RunSummaryOutput):
    inputs = serializers.JSONField(help_text="What the run was computed from.")


class StatementRowOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    run = serializers.IntegerField()
    program = serializers.CharField()
    period_start = serializers.DateField()
    participant = serializers.EmailField()
    state = serializers.CharField()
    total = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())


class StatementListOutput(serializers.Serializer[Any]):
    results = StatementRowOutput(many=True, help_text="At most `limit` (1,000 by default).")


class RunPage(query.QueryParameters):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)
    offset = serializers.IntegerField(required=False, min_value=0, default=0)


class RunListOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="Runs in all.")
    results = RunSummaryOutput(many=True, help_text="Newest first, `offset` to `offset+limit`.")


class SkippedOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    reason = serializers.CharField()


class ApprovedOutput(serializers.Serializer[Any]):
    # Approved now; approved once and waiting for a second approver; left as they were.
    approved = serializers.ListField(child=serializers.IntegerField())
    awaiting_second_approval = serializers.ListField(child=serializers.IntegerField())
    skipped = SkippedOutput(many=True)


class OwnerLineOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    description = serializers.CharField()
    kwh = serializers.CharField()
    price = serializers.CharField(allow_null=True)
    amount = serializers.CharField()


class OwnerStatementOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    program = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    run_type = serializers.CharField()
    state = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.CharField()
    lines = OwnerLineOutput(many=True)


class OwnerStatementListOutput(serializers.Serializer[Any]):
    results = OwnerStatementOutput(many=True)


class RunListView(APIView):
    """List settlement runs, newest first; start one (staff)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        parameters=[RunPage], responses={200: RunListOutput}, operation_id="staff_run_list"
    )
    def get(self, request: Request) -> Response:
        given = RunPage(data=request.query_params)
        given.is_valid(raise_exception=True)
        start = given.validated_data["offset"]
        runs = statement_queries.runs_for_staff(user=signed_in.signed_in_user(request))
        page = list(runs[start : start + given.validated_data["limit"]])
        return Response(
            {"count": runs.count(), "results": statement_queries.run_summaries(runs=page)}
        )

    @extend_schema(
        request=RUN_INPUT,
        # 404: no such program; 409: a run of the period is in progress, or not allowed yet.
        responses={
            202: RunSummaryOutput,
            404: ErrorOutput,
            409: ErrorOutput,
        },
        operation_id="staff_run_start",
    )
    def post(self, request: Request) -> Response:
        given = RunInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        program = statement_queries.program_by_code(code=data["program"])
        if "period" in data:
            period = periods.month(data["period"], time_zone=program.timezone)
        else:
            period = periods.dates(data["start"], data["end"], time_zone=program.timezone)
        run = operations.start_run(
            program=program,
            period=period,
            run_type=data["type"].upper(),
            started_by=signed_in.signed_in_user(request),
            now=timezone.now(),
        )
        run.refresh_from_db()
        return Response(statement_queries.run_summary(run=run), status=status.HTTP_202_ACCEPTED)


class RunDetailView(APIView):
    """A run's summary and lineage (staff)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        responses={200: RunDetailOutput},
        operation_id="staff_run_detail",
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = access.access_run_for_staff(user=signed_in.signed_in_user(request), run_id=run_id)
        summary = statement_queries.run_summary(run=run)
        summary["inputs"] = run.inputs
        return Response(summary)


class RunReproduceView(APIView):
    """The run computed again from exactly its recorded inputs, compared byte for byte."""

    permission_classes = (IsStaff,)

    @extend_schema(
        # 409: the run did not complete, or predates recorded reading revisions.
        responses={200: OpenApiResponse(description="reproduction verdict"), 409: ErrorOutput},
        operation_id="staff_run_reproduce",
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = access.access_run_for_staff(user=signed_in.signed_in_user(request), run_id=run_id)
        return Response(reproduction.reproduce_run(run=run).as_dict())


class RunExportView(APIView):
    """The run's lines for the utility's billing system, as CSV or JSON (staff)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        parameters=[OpenApiParameter("file", str, enum=list(exports.FORMATS), default="csv")],
        responses={
            (200, "text/csv"): OpenApiResponse(str, description="?file=csv (the default)"),
            (200, "application/json"): OpenApiResponse(dict, description="?file=json"),
        },
        operation_id="staff_run_export",
    )
    def get(self, request: Request, run_id: int) -> HttpResponse:
        run = access.access_run_for_staff(user=signed_in.signed_in_user(request), run_id=run_id)
        # `format` is DRF's content-negotiation parameter, so the file type has its own name.
        export_format = request.query_params.get("file", "csv")
        body, content_type = exports.render(run=run, export_format=export_format)
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="run-{run.pk}-statements.{export_format}"'
        )
        return response


class StatementListView(APIView):
    """Statements in review, filtered by run, state, flag, program and period (staff)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        parameters=[StatementFilter],
        responses={200: StatementListOutput},
        operation_id="staff_statement_list",
    )
    def get(self, request: Request) -> Response:
        given = StatementFilter(data=request.query_params)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        statements = statement_queries.review_queue(
            user=signed_in.signed_in_user(request),
            program_code=data.get("program"),
            period=data.get("period"),
            flag=data.get("flag"),
            state=data.get("state"),
            run_id=data.get("run"),
        )
        return Response(
            {
                "results": [
                    {
                        "id": statement.pk,
                        "run": statement.run_id,
                        "program": statement.run.program.code,
                        "period_start": statement.run.period_start.isoformat(),
                        "participant": statement.participant.email,
                        "state": statement.state,
                        "total": str(statement.total),
                        "flags": statement.flags,
                    }
                    for statement in statements[: data["limit"]]
                ]
            }
        )


class StatementDetailView(APIView):
    """A statement with its lines and lineage, transitions and difference (staff)."""

    permission_classes = (IsStaff,)

    @extend_schema(
        responses={200: OpenApiResponse(description="statement detail")},
        operation_id="staff_statement_detail",
    )
    def get(self, request: Request, statement_id: int) -> Response:
        statement = access.access_statement_for_staff(
            user=signed_in.signed_in_user(request), statement_id=statement_id
        )
        return Response(statement_queries.statement_detail(statement=statement))


class _DecisionView(APIView):
    permission_classes = (IsStaff,)
    decide = staticmethod(decisions.approve)

    def decide_on(self, request: Request, statement_id: int) -> Response:
        given = ReasonInput(data=request.data)
        given.is_valid(raise_exception=True)
        statement = access.access_statement_for_staff(
            user=signed_in.signed_in_user(request), statement_id=statement_id
        )
        decided = type(self).decide(
            statement=statement,
            actor=signed_in.signed_in_user(request),
            reason=given.validated_data["reason"],
            now=timezone.now(),
        )
        return Response(statement_queries.statement_detail(statement=decided))


class ApproveView(_DecisionView):
    """Approve a statement with a reason (maker-checker applies)."""

    decide = staticmethod(decisions.approve)

    @extend_schema(
        request=ReasonInput,
        # 409: the statement's state does not allow this decision (or maker-checker).
        responses={
            200: OpenApiResponse(description="the statement after the decision"),
            409: ErrorOutput,
        },
        operation_id="staff_statement_approve",
    )
    def post(self, request: Request, statement_id: int) -> Response:
        return self.decide_on(request, statement_id)


class HoldView(_DecisionView):
    """Hold a statement for investigation, with a reason."""

    decide = staticmethod(decisions.hold)

    @extend_schema(
        request=ReasonInput,
        # 409: the statement's state does not allow this decision (or maker-checker).
        responses={
            200: OpenApiResponse(description="the statement after the decision"),
            409: ErrorOutput,
        },
        operation_id="staff_statement_hold",
    )
    def post(self, request: Request, statement_id: int) -> Response:
        return self.decide_on(request, statement_id)


class VoidView(_DecisionView):
    """Void a statement, with a reason."""

    decide = staticmethod(decisions.void)

    @extend_schema(
        request=ReasonInput,
        # 409: the statement's state does not allow this decision (or maker-checker).
        responses={
            200: OpenApiResponse(description="the statement after the decision"),
            409: ErrorOutput,
        },
        operation_id="staff_statement_void",
    )
    def post(self, request: Request, statement_id: int) -> Response:
        return self.decide_on(request, statement_id)


class ReleaseView(_DecisionView):
    """Release an approved statement to payouts, with a reason."""

    decide = staticmethod(decisions.release)

    @extend_schema(
        request=ReasonInput,
        # 409: the statement's state does not allow this decision (or maker-checker).
        responses={
            200: OpenApiResponse(description="the statement after the decision"),
            409: ErrorOutput,
        },
        operation_id="staff_statement_release",
    )
    def post(self, request: Request, statement_id: int) -> Response:
        return self.decide_on(request, statement_id)


class ApproveCleanView(APIView):
    """Approve every clean (unflagged draft) statement of a run the caller may approve.

    200 with what happened to each: approved, awaiting a second approver, or skipped with
    the refusal's code and reason (one refusal never fails the others).
    """

    permission_classes = (IsStaff,)

    @extend_schema(
        request=BulkApproveInput,
        # 404: no such run; 409: the run has not completed.
        responses={
            200: ApprovedOutput,
            404: ErrorOutput,
            409: ErrorOutput,
        },
        operation_id="staff_statement_approve_clean",
    )
    def post(self, request: Request) -> Response:
        given = BulkApproveInput(data=request.data)
        given.is_valid(raise_exception=True)
        run = access.access_run_for_staff(
            user=signed_in.signed_in_user(request), run_id=given.validated_data["run"]
        )
        outcome = decisions.approve_clean(
            statements=statement_queries.review_queue(
                user=signed_in.signed_in_user(request), run_id=run.pk
            ),
            actor=signed_in.signed_in_user(request),
            reason=given.validated_data["reason"],
            now=timezone.now(),
        )
        return Response(
            ApprovedOutput(
                {
                    "approved": [statement.pk for statement in outcome.approved],
                    "awaiting_second_approval": [
                        statement.pk for statement in outcome.awaiting_second
                    ],
                    "skipped": [
                        {"id": item.statement.pk, "code": item.code, "reason": item.reason}
                        for item in outcome.skipped
                    ],
                }
            ).data
        )


class OwnerStatementListView(APIView):
    """The signed-in owner's approved and released statements."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        responses={200: OwnerStatementListOutput},
        operation_id="statement_list",
    )
    def get(self, request: Request) -> Response:
        participants = account_queries.participants_of(user=signed_in.signed_in_user(request))
        results: list[dict[str, object]] = []
        for participant in participants.order_by("pk"):
            results.extend(
                statement_queries.owner_statement(statement=statement)
                for statement in statement_queries.statements_of_participant(
                    participant=participant
                )
            )
        return Response({"results": results})


class OwnerStatementDetailView(APIView):
    """One of the owner's approved or released statements (404 for anything else)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        responses={200: OwnerStatementOutput},
        operation_id="statement_detail",
    )
    def get(self, request: Request, statement_id: int) -> Response:
        statement = access.access_statement_for_owner(
            user=signed_in.signed_in_user(request), statement_id=statement_id
        )
        return Response(statement_queries.owner_statement(statement=statement))
