"""Metering endpoints: upload a meter data file, post an aggregator batch, read the outcome."""

import io
import json
from collections.abc import Iterator
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import signed_in
from settlement import safe_csv
from settlement.api import fields, parsers, query
from settlement.api.schema import ErrorOutput
from settlement.bounds import MAX_DATABASE_ID
from settlement.metering import batch, operations, queries
from settlement.metering.formats.base import MAX_ABS_WH, Flow, RowError
from settlement.metering.formats.quality import CANONICAL
from settlement.metering.models import Upload
from settlement.rating.intervals import MAX_DURATION_S


class ProblemOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    location = serializers.CharField()
    field = serializers.CharField()
    reason = serializers.CharField()


class ProblemGroupOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    field = serializers.CharField()
    reason = serializers.CharField()
    count = serializers.IntegerField(
        help_text="Rows of the file (locations) the group covers, not problems."
    )
    first_location = serializers.CharField()
    last_location = serializers.CharField()
    first_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)
    line = serializers.CharField()


class ChannelTallyOutput(serializers.Serializer[Any]):
    meter_id = serializers.CharField()
    channel = serializers.CharField()
    intervals = serializers.IntegerField()
    wh = serializers.IntegerField()
    first_start = serializers.DateTimeField()
    last_end = serializers.DateTimeField()


class RejectionOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    reason = serializers.CharField()


class ProgressOutput(serializers.Serializer[Any]):
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True, help_text="Estimated; null at first.")


class UploadSummaryOutput(serializers.Serializer[Any]):
    """An upload's summary (`queries.summary`): the schema fuzz run checks the two agree."""

    upload_id = serializers.IntegerField()
    format = serializers.CharField()
    status = serializers.CharField(help_text="RECEIVED, PROCESSING, PROCESSED, REJECTED, FAILED")
    duplicate_upload = serializers.BooleanField()
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    revised = serializers.IntegerField()
    rejected = serializers.IntegerField()
    estimated = serializers.IntegerField()
    gaps = serializers.IntegerField()
    rejection = RejectionOutput(allow_null=True, help_text="Set when REJECTED or FAILED.")
    # DRF's metaclass takes declared fields out of the class, so `errors` (the summary's
    # key) stays the serializer's own property at run time; only the type checker sees both.
    errors = ProblemOutput(many=True, help_text="The first rejected rows.")  # type: ignore[assignment]
    problem_groups = ProblemGroupOutput(many=True)
    channels = ChannelTallyOutput(many=True, help_text="What the upload stored, per channel.")
    progress = ProgressOutput()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()


class UploadInput(query.QueryParameters):
    """The upload's parts; a part sent empty (`meter_id=`) is a 400, as a blank query
    parameter is, not a part left out."""

    # An empty file is accepted here so that it is kept and rejected with a report.
    file = serializers.FileField(allow_empty_file=True, help_text="The meter data file.")
    site_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DATABASE_ID,
        help_text="The site (ids are listed by /api/v1/me/). Owners give it or meter_id; "
        "staff may omit both.",
    )
    format = serializers.ChoiceField(
        choices=[f for f in operations.FORMATS if f != "batch-json"], default="auto"
    )
    meter_id = fields.Text(
        required=False,
        max_length=64,
        help_text="The meter, for files that do not name it in our terms; an owner may give "
        "it instead of site_id when the meter is theirs.",
    )


class UploadListView(APIView):
    """Upload a meter data file: staff for any site, owners for their own sites only."""

    permission_classes = (IsAuthenticated,)
    # A file is a multipart part: a form-encoded body cannot carry one.
    parser_classes = (MultiPartParser,)

    @extend_schema(
        request=UploadInput,
        # 403: an owner names neither site nor meter (staff may); 404: the site or meter
        # named is not one the caller may upload for.
        responses={
            200: UploadSummaryOutput,
            201: UploadSummaryOutput,
            202: UploadSummaryOutput,
            403: ErrorOutput,
            404: ErrorOutput,
        },
    )
    def post(self, request: Request) -> Response:
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        file = data.validated_data["file"]
        result = operations.receive_file(
            sender=signed_in.signed_in_user(request),
            stream=file,
            filename=file.name or "upload",
            size=file.size,
            now=timezone.now(),
            site_id=data.validated_data.get("site_id"),
            format=data.validated_data["format"],
            meter_id=data.validated_data.get("meter_id"),
        )
        upload = result.upload
        body = queries.summary(upload=upload, duplicate_upload=result.duplicate_upload)
        return Response(body, status=_status_of(result))


# What a sender is told: still being processed (202), done (201), or a repeat (200).
_STATUS_OF_UPLOAD = {
    Upload.Status.RECEIVED: status.HTTP_202_ACCEPTED,
    Upload.Status.PROCESSING: status.HTTP_202_ACCEPTED,
    Upload.Status.PROCESSED: status.HTTP_201_CREATED,
    Upload.Status.REJECTED: status.HTTP_201_CREATED,
}


def _status_of(result: operations.IngestResult) -> int:
    if result.duplicate_upload:
        return status.HTTP_200_OK
    return _STATUS_OF_UPLOAD[Upload.Status(result.upload.status)]


class UploadDetailView(APIView):
    """Return an upload's summary and progress (rows done / estimated total)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: UploadSummaryOutput})
    def get(self, request: Request, upload_id: int) -> Response:
        user = signed_in.signed_in_user(request)
        upload = queries.access_upload(user=user, upload_id=upload_id)
        return Response(queries.summary(upload=upload))


class _Echo:
    """A file-like sink for the CSV writer that hands each written row back as text."""

    def write(self, value: str) -> str:
        return value


def _report_rows(upload: Any) -> Iterator[str]:
    # Rows repeat what senders wrote: a cell like `=HYPERLINK(...)` must stay text.
    writer = safe_csv.writer(_Echo())
    yield writer.writerow(["kind", "location", "field", "reason"])
    for problem in queries.upload_problems(upload=upload).iterator(chunk_size=2000):
        yield writer.writerow([problem.kind, problem.location, problem.field, problem.reason])


class UploadReportView(APIView):
    """Download an upload's full report (rejected rows, gaps, file rejection) as CSV."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request: Request, upload_id: int) -> StreamingHttpResponse:
        user = signed_in.signed_in_user(request)
        upload = queries.access_upload(user=user, upload_id=upload_id)
        # Streamed: a rejected million-row file has a million-row report.
        response = StreamingHttpResponse(_report_rows(upload), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="upload-{upload.pk}-report.csv"'
        return response


class UploadFileView(APIView):
    """Download the raw file exactly as it was received (kept even when it was rejected)."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, upload_id: int) -> FileResponse:
        user = signed_in.signed_in_user(request)
        upload = queries.access_upload(user=user, upload_id=upload_id)
        return FileResponse(
            upload.file.open("rb"),
            as_attachment=True,
            filename=upload.original_name or f"upload-{upload.pk}",
            content_type="application/octet-stream",
        )


class BatchReadingInput(serializers.Serializer[Any]):
    """One reading of a batch; its rules are the batch format's own (`batch.read_element`)."""

    meter_id = fields.Text(max_length=64)
    flow = serializers.ChoiceField(choices=[str(flow) for flow in Flow])
    start = serializers.DateTimeField(help_text="ISO-8601 instant with a UTC offset")
    duration_s = serializers.IntegerField(min_value=1, max_value=MAX_DURATION_S)
    wh = serializers.IntegerField(min_value=-MAX_ABS_WH, max_value=MAX_ABS_WH)
    quality = serializers.ChoiceField(choices=list(CANONICAL), required=False, default="")

    def to_internal_value(self, data: Any) -> Any:
        """Return the reading's fields; raise ValidationError naming the field at fault."""
        if isinstance(data, dict):
            item = batch.read_element(data, "reading")
            if isinstance(item, RowError):
                raise serializers.ValidationError({item.field: [item.reason]})
        return super().to_internal_value(data)


class BatchInput(serializers.Serializer[Any]):
    idempotency_key = fields.Text(max_length=255)
    readings = BatchReadingInput(many=True, allow_empty=False)


class BatchView(APIView):
    """Post a JSON batch of readings (aggregators, for their participants' channels only)."""

    permission_classes = (IsAuthenticated,)
    parser_classes = (parsers.JSONParser,)

    @extend_schema(
        request=BatchInput,
        # 409: the idempotency key already names a different batch.
        responses={200: UploadSummaryOutput, 201: UploadSummaryOutput, 409: ErrorOutput},
    )
    def post(self, request: Request) -> Response:
        user = signed_in.signed_in_user(request)
        aggregator = queries.access_aggregator_for_user(user=user)
        data = BatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = operations.ingest(
            # The parsed body re-serialized with sorted keys: a retry of the same batch with
            # different whitespace or key order is still the same batch.
            stream=io.BytesIO(json.dumps(request.data, sort_keys=True).encode()),
            filename="batch.json",
            now=timezone.now(),
            format="batch-json",
            aggregator=aggregator,
            client_key=data.validated_data["idempotency_key"],
            sent_by=user,
        )
        body = queries.summary(upload=result.upload, duplicate_upload=result.duplicate_upload)
        return Response(body, status=_status_of(result))
