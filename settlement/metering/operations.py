"""Writes for metering: receive an upload, validate it and make its readings current."""

import contextlib
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import BinaryIO, Literal

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction

from accounts.models import Site, User
from settlement.errors import DomainError
from settlement.metering import batch, queries, tasks
from settlement.metering.formats import detect
from settlement.metering.formats.base import FileRejected, Item, ParsedReading, ParseNotes
from settlement.metering.models import Aggregator, Upload, UploadProblem
from settlement.metering.store import PortableStore, Store, StoreCounts
from settlement.metering.store_postgres import PipelinedPostgresStore, PostgresStore
from settlement.metering.vee import Accepted, Problem, Validator

FORMATS = ("auto", *detect.FORMATS, batch.FORMAT)
PROBLEM_CHUNK = 1000
# Problems kept in memory so a file rejected half-way still reports its first bad rows.
PROBLEMS_KEPT_ON_REJECTION = 1000
PROGRESS_EVERY = 10_000
READ_CHUNK = 1 << 20

StoragePath = Literal["auto", "portable", "postgres"]


class InvalidFormat(DomainError):
    """The requested format is not one the service reads."""

    code = "invalid_format"


class IdempotencyKeyReused(DomainError):
    """An idempotency key already names a different batch."""

    code = "idempotency_key_reused"
    http_status = 409


@dataclass(frozen=True)
class IngestResult:
    """The upload an ingest created, or the earlier one it turned out to repeat."""

    upload: Upload
    duplicate_upload: bool


def max_upload_bytes() -> int:
    """Return the largest file accepted (setting METERING_MAX_UPLOAD_BYTES, 1 GiB)."""
    return int(settings.METERING_MAX_UPLOAD_BYTES)


def ingest(
    *,
    stream: BinaryIO,
    filename: str,
    now: datetime,
    format: str = "auto",
    meter_id: str | None = None,
    site: Site | None = None,
    aggregator: Aggregator | None = None,
    client_key: str = "",
    sent_by: User | None = None,
    background: bool = False,
    storage: StoragePath = "auto",
) -> IngestResult:
    """Keep the file, then validate and store its readings (now, or in a task).

    The same bytes for the same target again return the earlier upload with
    `duplicate_upload` True and store nothing. A file rejected as a whole is kept with its
    report and status REJECTED. Raises InvalidFormat for an unknown `format` and
    IdempotencyKeyReused when `client_key` already names different bytes.
    """
    if format not in FORMATS:
        raise InvalidFormat(
            f"unknown format {format!r}; use one of {', '.join(FORMATS)}",
            details={"field": "format"},
        )
    target = (
        f"meter={meter_id or ''};site={site.pk if site else ''};"
        f"aggregator={aggregator.pk if aggregator else ''};format={format}"
    )
    with tempfile.TemporaryFile() as spool:
        sha256, size, too_large = _spool(stream, spool)
        with transaction.atomic():
            prior = _prior_upload(
                sha256=sha256, target=target, aggregator=aggregator, client_key=client_key
            )
            if prior is not None:
                return IngestResult(prior, duplicate_upload=True)
            upload = Upload(
                original_name=PurePath(filename).name[:255],
                size_bytes=size,
                sha256=sha256,
                requested_format=format,
                meter_id=meter_id or "",
                site=site,
                aggregator=aggregator,
                target=target,
                client_key=client_key,
                sent_by=sent_by,
                received_at=now,
            )
            if too_large:
                upload.status = Upload.Status.REJECTED
            spool.seek(0)
            upload.file.save(f"{sha256[:16]}.dat", File(spool), save=False)
            try:
                with transaction.atomic():
                    upload.save()
            except IntegrityError:
                # A concurrent request stored the same bytes first.
                upload.file.delete(save=False)
                prior = _prior_upload(
                    sha256=sha256, target=target, aggregator=aggregator, client_key=client_key
                )
                if prior is None:
                    raise
                return IngestResult(prior, duplicate_upload=True)
            if too_large:
                _write_rejection(
                    upload,
                    code="too_large",
                    reason=f"the file is over the limit of {max_upload_bytes()} bytes; "
                    "only its first bytes are kept",
                    problems=[],
                    now=now,
                )
                return IngestResult(upload, duplicate_upload=False)
            if background:
                upload_id = upload.pk
                transaction.on_commit(lambda: tasks.process_upload.delay(upload_id=upload_id))
                return IngestResult(upload, duplicate_upload=False)
    processed = process_upload(upload_id=upload.pk, now=now, storage=storage)
    return IngestResult(processed, duplicate_upload=False)


def process_upload(*, upload_id: int, now: datetime, storage: StoragePath = "auto") -> Upload:
    """Validate a received upload and make its readings current; return it processed.

    An upload already PROCESSED or REJECTED is returned unchanged (a redelivered task).
    Everything the file changes in readings commits together or not at all.
    """
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload_id)
        if upload.status not in (Upload.Status.RECEIVED, Upload.Status.PROCESSING):
            return upload
        # A PROCESSING upload is one whose worker died: its readings never committed.
        upload.status = Upload.Status.PROCESSING
        upload.save(update_fields=["status"])
        upload.problems.all().delete()
    use_postgres = storage == "postgres" or (
        storage == "auto" and connection.vendor == "postgresql"
    )
    store: Store
    if not use_postgres:
        store = PortableStore(upload=upload, now=now)
    elif upload.size_bytes >= settings.METERING_PIPELINE_MIN_BYTES:
        store = PipelinedPostgresStore(upload=upload, now=now)
    else:
        store = PostgresStore(upload=upload, now=now)
    run = _Run(upload=upload, now=now, store=store)
    try:
        outer = transaction.atomic() if store.needs_outer_transaction else contextlib.nullcontext()
        with outer:
            counts = run.execute()
    except FileRejected as rejection:
        return _write_rejection(
            upload, code=rejection.code, reason=rejection.reason, problems=run.kept, now=now
        )
    finally:
        store.close()
    return _write_result(upload, run=run, counts=counts, now=now)


@dataclass
class _Tally:
    """Accepted intervals of one channel in one file."""

    intervals: int
    wh: int
    first_start: datetime
    last_end: datetime


class _Run:
    """One pass over an upload's file: parse, validate, store, report."""

    def __init__(self, *, upload: Upload, now: datetime, store: Store) -> None:
        self.upload = upload
        self.now = now
        self.store = store
        self.scope = queries.Scope(site_id=upload.site_id, aggregator_id=upload.aggregator_id)
        self.notes = ParseNotes()
        self.kept: list[Problem] = []
        self.rows = 0
        self.rejected = 0
        self.gaps = 0
        self.channels: dict[int, _Tally] = {}
        self._pending: list[UploadProblem] = []
        self.problem_count = 0

    def execute(self) -> StoreCounts:
        """Return the store's counts after the whole file went through validation."""
        timezone = self._timezone()
        directory = queries.ChannelDirectory(scope=self.scope)
        validator = Validator(resolve=directory.facts, now=self.now)
        # Bound methods are looked up once: this loop runs once per reading.
        check, store, count = validator.check, self.store.add, self._count
        with self.upload.file.open("rb") as field_file:
            # The plain file under Django's FieldFile proxy: the parsers read it line by
            # line, and the proxy's per-call overhead showed in profiles.
            handle = field_file.file
            for item in self._items(handle, timezone=timezone):
                self.rows += 1
                if isinstance(item, ParsedReading):
                    for outcome in check(item):
                        if isinstance(outcome, Accepted):
                            store(outcome)
                            if not outcome.estimated:
                                count(outcome)
                        else:
                            self._problem(outcome)
                else:
                    self._problem(Problem("REJECTED", item.location, item.field, item.reason))
                if self.rows % PROGRESS_EVERY == 0:
                    self._progress(handle)
            self._flush_problems()
            return self.store.finish()

    def _items(self, handle: BinaryIO, *, timezone: str | None) -> Iterator[Item]:
        requested = self.upload.requested_format
        if requested == "auto":
            head = handle.read(detect.HEAD_BYTES)
            handle.seek(0)
            name = detect.detect_format(head)
        else:
            name = requested
        self.upload.format = name
        Upload.objects.filter(pk=self.upload.pk).update(format=name)
        parser = batch.parse if name == batch.FORMAT else detect.FORMATS[name]
        meter = self.upload.meter_id or None
        return parser(handle, timezone=timezone, meter_id=meter, notes=self.notes)

    def _timezone(self) -> str | None:
        """Return the zone wall-clock files are read in; reject an unknown named meter."""
        if self.upload.meter_id:
            zone = queries.meter_timezone(meter_id=self.upload.meter_id, scope=self.scope)
            if zone is None:
                raise FileRejected(
                    f"unknown meter {self.upload.meter_id!r}{self.scope.describe()}",
                    code="unknown_meter",
                )
            return zone
        return self.upload.site.timezone if self.upload.site else None

    def _count(self, accepted: Accepted) -> None:
        tally = self.channels.get(accepted.channel_id)
        if tally is None:
            self.channels[accepted.channel_id] = _Tally(
                1, accepted.wh, accepted.start, accepted.end
            )
            return
        # Validation rejects a reading that starts before its channel's previous one, so
        # accepted readings of a channel arrive in time order: the last end is this end.
        tally.intervals += 1
        tally.wh += accepted.wh
        tally.last_end = accepted.end

    def _problem(self, problem: Problem) -> None:
        if problem.kind == "GAP":
            self.gaps += 1
        else:
            self.rejected += 1
        if len(self.kept) < PROBLEMS_KEPT_ON_REJECTION:
            self.kept.append(problem)
        self.problem_count += 1
        self._pending.append(_problem_row(self.upload, self.problem_count, problem))
        if len(self._pending) >= PROBLEM_CHUNK:
            self._flush_problems()

    def _flush_problems(self) -> None:
        UploadProblem.objects.bulk_create(self._pending)
        self._pending = []

    def _progress(self, handle: BinaryIO) -> None:
        done = max(handle.tell(), 1)
        estimate = self.rows * self.upload.size_bytes // done
        Upload.objects.filter(pk=self.upload.pk).update(
            rows_done=self.rows, rows_total=max(estimate, self.rows)
        )


def _spool(stream: BinaryIO, spool: BinaryIO) -> tuple[str, int, bool]:
    """Copy up to the size limit into `spool`; return sha256, bytes read, and if over it."""
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            return digest.hexdigest(), size, False
        if size + len(chunk) > limit:
            kept = chunk[: limit - size]
            digest.update(kept)
            spool.write(kept)
            return digest.hexdigest(), size + len(chunk), True
        digest.update(chunk)
        spool.write(chunk)
        size += len(chunk)


def _prior_upload(
    *, sha256: str, target: str, aggregator: Aggregator | None, client_key: str
) -> Upload | None:
    """Return the earlier upload this one repeats, or None; raise on a reused key."""
    if aggregator is not None and client_key:
        keyed = Upload.objects.filter(aggregator=aggregator, client_key=client_key).first()
        if keyed is not None:
            if keyed.sha256 != sha256:
                raise IdempotencyKeyReused(
                    f"idempotency key {client_key!r} was used for a different batch",
                    details={"upload_id": keyed.pk},
                )
            return keyed
    return (
        Upload.objects.filter(sha256=sha256, target=target)
        .exclude(status=Upload.Status.REJECTED)
        .first()
    )


def _problem_row(upload: Upload, seq: int, problem: Problem) -> UploadProblem:
    return UploadProblem(
        upload=upload,
        seq=seq,
        kind=problem.kind,
        location=problem.location[:200],
        field=problem.field[:60],
        reason=problem.reason,
    )


def _write_rejection(
    upload: Upload, *, code: str, reason: str, problems: list[Problem], now: datetime
) -> Upload:
    """Mark the upload REJECTED with its report; none of its readings were committed."""
    with transaction.atomic():
        upload.problems.all().delete()
        rows = [_problem_row(upload, seq, p) for seq, p in enumerate(problems, start=1)]
        rows.append(_problem_row(upload, len(rows) + 1, Problem("FILE", "file", "file", reason)))
        UploadProblem.objects.bulk_create(rows)
        upload.status = Upload.Status.REJECTED
        upload.rejection_code = code
        upload.rejection_reason = reason
        upload.accepted = upload.duplicates = upload.revised = upload.estimated = 0
        upload.rejected = sum(1 for p in problems if p.kind == "REJECTED")
        upload.gaps = 0
        upload.channels = []
        upload.processed_at = now
        upload.save()
    return upload


def _write_result(upload: Upload, *, run: _Run, counts: StoreCounts, now: datetime) -> Upload:
    """Record the outcome of a processed file; a file with no valid reading is rejected."""
    valid = counts.accepted + counts.duplicates + counts.revised + counts.estimated
    names = queries.channel_names(channel_ids=list(run.channels))
    channels = []
    for channel_id, tally in sorted(run.channels.items(), key=lambda pair: names[pair[0]]):
        meter_id, kind = names[channel_id]
        channels.append(
            {
                "meter_id": meter_id,
                "channel": kind,
                "intervals": tally.intervals,
                "wh": tally.wh,
                "first_start": tally.first_start.isoformat(),
                "last_end": tally.last_end.isoformat(),
            }
        )
    upload.status = Upload.Status.PROCESSED
    if valid == 0 and run.rejected > 0:
        upload.status = Upload.Status.REJECTED
        upload.rejection_code = "no_valid_readings"
        upload.rejection_reason = "no reading of the file could be accepted; see the report"
        UploadProblem.objects.create(
            upload=upload,
            seq=run.problem_count + 1,
            kind=UploadProblem.Kind.FILE,
            location="file",
            field="file",
            reason=upload.rejection_reason,
        )
    upload.accepted = counts.accepted
    upload.duplicates = counts.duplicates
    upload.revised = counts.revised
    upload.estimated = counts.estimated
    upload.rejected = run.rejected
    upload.gaps = run.gaps
    upload.channels = channels
    upload.rows_done = upload.rows_total = run.rows
    upload.notes = {
        "meter_id_source": run.notes.meter_id_source,
        "fall_back_rule": run.notes.fall_back_rule,
        "fall_back_readings": run.notes.fall_back_readings,
        "ignored": dict(run.notes.ignored),
    }
    upload.processed_at = now
    upload.save()
    return upload
