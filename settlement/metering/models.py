"""Uploads of meter data, the readings they produced and the values those replaced."""

from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.models import Channel, Participant, Program, User
from settlement.metering.formats.quality import Quality


class Source(models.TextChoices):
    """Where a reading's value came from; programs rank them (see `DEFAULT_PRECEDENCE`)."""

    UTILITY = "UTILITY", "Utility meter data (loaded by staff)"
    AGGREGATOR = "AGGREGATOR", "Aggregator batch"
    CHARGER = "CHARGER", "Charger data (OCPP)"
    OWNER = "OWNER", "Owner's own upload"


# Most trusted first. Self-reported data ranks last: it is what a fraud would forge.
DEFAULT_PRECEDENCE = [Source.UTILITY, Source.AGGREGATOR, Source.CHARGER, Source.OWNER]
# A revenue meter's bound when neither the site nor a program sets one (about a 400 A
# residential or small commercial service).
DEFAULT_SITE_MAX_KW = Decimal("100.000")


def _default_precedence() -> list[str]:
    return [str(source) for source in DEFAULT_PRECEDENCE]


def validate_precedence(value: object) -> None:
    """Raise ValidationError unless `value` lists every source exactly once."""
    if not isinstance(value, list) or sorted(map(str, value)) != sorted(Source.values):
        raise ValidationError(
            "list every source exactly once, most trusted first: " + ", ".join(Source.values)
        )


class Aggregator(models.Model):
    """A company that posts readings for the participants it represents.

    Its users' API tokens may write readings only to channels at its participants' sites.
    """

    name = models.CharField(max_length=200, unique=True)
    users: "models.ManyToManyField[User, models.Model]" = models.ManyToManyField(
        User, blank=True, related_name="aggregators"
    )
    participants: "models.ManyToManyField[Participant, AggregatorParticipant]" = (
        models.ManyToManyField(
            Participant, through="AggregatorParticipant", related_name="aggregators"
        )
    )

    def __str__(self) -> str:
        return self.name


class AggregatorParticipant(models.Model):
    """An aggregator representing a participant."""

    aggregator = models.ForeignKey(Aggregator, on_delete=models.CASCADE, related_name="links")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="aggregator_links"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["aggregator", "participant"], name="aggregator_participant_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.aggregator} for {self.participant}"


class ProgramMeteringSettings(models.Model):
    """How a program treats meter data: gaps estimated, physical bounds, source ranks.

    Whether estimates are paid is a program rule (`settlement.programs`), per rule kind.
    """

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="metering_settings"
    )
    # 0 turns interpolation off; the domain's usual bound is 3 hours (180).
    interpolate_gaps_up_to_minutes = models.PositiveIntegerField(default=0)
    # The revenue-meter bound of a site that does not state its own service capacity.
    site_max_kw = models.DecimalField(max_digits=8, decimal_places=3, default=DEFAULT_SITE_MAX_KW)
    # Sources, most trusted first: a value never replaces one from a source ranked above it.
    source_precedence = models.JSONField(
        default=_default_precedence, validators=[validate_precedence]
    )

    class Meta:
        verbose_name_plural = "program metering settings"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(interpolate_gaps_up_to_minutes__lte=24 * 60),
                name="metering_interpolation_at_most_a_day",
            ),
            models.CheckConstraint(
                condition=Q(site_max_kw__gt=0), name="metering_site_max_kw_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"metering settings of {self.program}"


class UploadStatus(models.TextChoices):
    """Where an upload is in its processing."""

    RECEIVED = "RECEIVED", "Received"
    PROCESSING = "PROCESSING", "Processing"
    PROCESSED = "PROCESSED", "Processed"
    REJECTED = "REJECTED", "Rejected"
    # Processing stopped on an error (reported); the same file may be sent again.
    FAILED = "FAILED", "Failed"


class Upload(models.Model):
    """One file (or API batch) of meter data as received, with what became of it."""

    Status = UploadStatus

    # The raw bytes live in MEDIA storage, not in the database: a 1 GiB file must be
    # streamed in and out, and the database should hold what is queried.
    file = models.FileField(upload_to="metering/uploads/%Y/%m/", max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    requested_format = models.CharField(max_length=20, default="auto")
    format = models.CharField(max_length=20, blank=True)
    # Who the data is for: a meter named by the sender, a site (owner uploads), an
    # aggregator (batches). `target` is their canonical text, the key of duplicate uploads.
    meter_id = models.CharField(max_length=64, blank=True)
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="uploads"
    )
    aggregator = models.ForeignKey(
        Aggregator, on_delete=models.PROTECT, null=True, blank=True, related_name="uploads"
    )
    target = models.CharField(max_length=200)
    client_key = models.CharField(max_length=255, blank=True)
    sent_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="meter_uploads"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UTILITY)
    # Who is processing it (host:pid) and until when, renewed with progress: an upload whose
    # holder is gone is taken over by whoever asks for it again.
    lease_holder = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    rejection_code = models.CharField(max_length=40, blank=True)
    rejection_reason = models.TextField(blank=True)
    rows_total = models.BigIntegerField(null=True, blank=True)
    rows_done = models.BigIntegerField(default=0)
    accepted = models.BigIntegerField(default=0)
    duplicates = models.BigIntegerField(default=0)
    revised = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    estimated = models.BigIntegerField(default=0)
    gaps = models.BigIntegerField(default=0)
    channels = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=UploadStatus.values), name="upload_status_valid"
            ),
            models.CheckConstraint(condition=Q(size_bytes__gte=0), name="upload_size_not_negative"),
            # The same bytes for the same target are one upload, unless it was rejected
            # (then a retry, e.g. after the meter was enrolled, must be possible).
            models.UniqueConstraint(
                fields=["sha256", "target"],
                condition=~Q(status="REJECTED"),
                name="upload_same_file_same_target_once",
            ),
            models.UniqueConstraint(
                fields=["aggregator", "client_key"],
                condition=~Q(client_key=""),
                name="upload_client_key_once_per_aggregator",
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.original_name or self.sha256[:12]})"


class UploadProblem(models.Model):
    """One rejected row or element of an upload, or a gap it left, with the reason."""

    class Kind(models.TextChoices):
        REJECTED = "REJECTED", "Rejected"
        GAP = "GAP", "Gap (reported, not rejected)"
        FILE = "FILE", "The file as a whole"

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="problems")
    # Order of discovery, so the report reads in file order.
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    location = models.CharField(max_length=200)
    field = models.CharField(max_length=60)
    reason = models.TextField()
    # The refused interval's start (a gap's first missing instant), UTC; null where none is
    # known (a row that could not be read, the file as a whole). The report's time span.
    interval_start = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["upload", "seq"], name="upload_problem_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.upload_id} {self.location} {self.field}: {self.reason[:40]}"


class Reading(models.Model):
    """The current value of one interval of one channel (the latest revision)."""

    # No index of its own: the unique (channel, start) index serves channel lookups, and one
    # index fewer is measurable on a bulk load.
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="readings", db_index=False
    )
    start = models.DateTimeField()
    duration_s = models.PositiveIntegerField()
    wh = models.BigIntegerField()
    quality = models.CharField(max_length=10)
    # The stores always set it from the upload; the default serves readings made by hand
    # (staff fixtures, tests), which stand for utility data.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UTILITY)
    # 1 for the first value; each change moves the old value to ReadingRevision.
    revision = models.PositiveIntegerField(default=1)
    # Provenance only, and never deleted (uploads are append-only; PROTECT still guards
    # the ORM). No database constraint or index: on PostgreSQL the per-row foreign-key
    # check cost 2.4 s per million readings on a bulk load (docs/performance.md).
    upload = models.ForeignKey(
        Upload,
        on_delete=models.PROTECT,
        related_name="readings",
        db_constraint=False,
        db_index=False,
    )
    received_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["channel", "start"], name="reading_channel_start"),
            models.CheckConstraint(condition=Q(duration_s__gt=0), name="reading_duration_positive"),
            models.CheckConstraint(
                condition=Q(quality__in=[str(q) for q in Quality]), name="reading_quality_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="reading_source_valid"
            ),
            # Channels are directional (export or import): energy is never negative.
            models.CheckConstraint(condition=Q(wh__gte=0), name="reading_wh_not_negative"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="reading_revision_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}@{self.start.isoformat()} r{self.revision}"


class ReadingRevision(models.Model):
    """A superseded value of a reading: what it was, from which upload, until when."""

    reading = models.ForeignKey(Reading, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveIntegerField()
    duration_s = models.PositiveIntegerField()
    wh = models.BigIntegerField()
    quality = models.CharField(max_length=10)
    source = models.CharField(max_length=10, choices=Source.choices)
    upload = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    superseded_by = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="+")
    superseded_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["reading", "revision"], name="reading_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reading_id} r{self.revision}"


class DailyTotal(models.Model):
    """One channel over one local day (the site's zone): energy and how its readings stand.

    Kept by ingestion in the transaction that seals an upload (`daily_totals.refresh`), and
    rebuilt by `rebuild_daily_totals`; pages read it so they never scan raw readings.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="daily_totals")
    day = models.DateField()
    # A channel is directional, so one of the two is always 0; both are kept so a page sums
    # export and import over many channels without joining their kinds.
    export_wh = models.BigIntegerField(default=0)
    import_wh = models.BigIntegerField(default=0)
    readings = models.PositiveIntegerField(default=0)
    actual = models.PositiveIntegerField(default=0)
    estimated = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    # Readings whose current value replaced an earlier one.
    revised = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["channel", "day"], name="daily_total_channel_day"),
            models.CheckConstraint(
                condition=Q(export_wh__gte=0, import_wh__gte=0),
                name="daily_total_energy_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}@{self.day.isoformat()}"
