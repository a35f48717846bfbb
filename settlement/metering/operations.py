"""Writes for metering: receive an upload, validate it and make its readings current."""

import contextlib
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from types import TracebackType
from typing import BinaryIO, Literal

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models.functions import Now

from accounts import queries as account_queries
from accounts.models import Site, User
from settlement import leases
from settlement.errors import DomainError
from settlement.metering import (
    batch,
    daily_totals,
    locks,
    queries,
    readings_written,
    tasks,
    vee,
)
from settlement.metering.formats import detect
from settlement.metering.formats.base import (
    FileRejected,
    Item,
    ParsedReading,
    ParseNotes,
    RowError,
)
from settlement.metering.models import Aggregator, Source, Upload, UploadProblem
from settlement.metering.store import PortableStore, Store, StoreCounts
from settlement.metering.store_postgres import PipelinedPostgresStore, PostgresStore
from settlement.metering.vee import Accepted, Problem, Validator

FORMATS = ("auto", *detect.FORMATS, batch.FORMAT)
PROBLEM_CHUNK = 1000
# Problems kept in memory so a file rejected half-way still reports its first bad rows.
PROBLEMS_KEPT_ON_REJECTION = 1000
PROGRESS_EVERY = 10_000
READ_CHUNK = 1 << 20

# How often a load that meets a deadlock or serialization failure is run again.
MERGE_ATTEMPTS = 3
# How long a process may go without progress before its upload may be taken over where
# its liveness cannot be seen (SQLite, another host). Renewed every PROGRESS_EVERY rows.
LEASE = timedelta(minutes=10)
# SQLSTATEs of a transaction PostgreSQL aborted for being in a conflict: worth a retry.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})

StoragePath = Literal["auto", "portable", "postgres"]
FINAL_STATUSES = frozenset({Upload.Status.PROCESSED, Upload.Status.REJECTED})


class InvalidFormat(DomainError):
    """The requested format is not one the service reads."""

    code = "invalid_format"


class IdempotencyKeyReused(DomainError):
    """An idempotency key already names a different batch."""

    code = "idempotency_key_reused"
    http_status = 409


class UploadFailed(DomainError):
    """Processing stopped on an error; the upload is FAILED with the error in its report."""

    code = "upload_failed"
    http_status = 500


@dataclass(frozen=True)
class IngestResult:
    """The upload an ingest created, or the earlier one it turned out to repeat."""

    upload: Upload
    duplicate_upload: bool


def receive_file(
    *,
    sender: User,
    stream: BinaryIO,
    filename: str,
    size: int,
    now: datetime,
    site_id: int | None = None,
    format: str = "auto",
    meter_id: str | None = None,
) -> IngestResult:
    """Take a file a person sent (API or staff page) for a site, or for any site (staff).

    Who may send what for which site is `queries.site_for_upload` (staff may leave the site
    out; an owner names a site of theirs, or only a meter of theirs). Files above
    METERING_INLINE_MAX_BYTES are processed by a worker (the upload is then RECEIVED).
    Raises NotFound, PermissionDenied and SiteRequired (queries.site_for_upload), and what
    `ingest` does.
    """
    site = queries.site_for_upload(user=sender, site_id=site_id, meter_id=meter_id)
    return ingest(
        stream=stream,
        filename=filename,
        now=now,
        format=format,
        meter_id=meter_id,
        site=site,
        sent_by=sender,
        background=size > int(settings.METERING_INLINE_MAX_BYTES),
    )


def source_of(
    *, format: str, site: Site | None, aggregator: Aggregator | None, sent_by: User | None
) -> Source:
    """Return the source an upload's values count as (DOMAIN.md 6, source precedence).

    An aggregator's batch is AGGREGATOR; a file sent for a site by someone who is not staff
    is OWNER, whatever its format (self-reported data); staff files and the `ingest`
    command are UTILITY, or CHARGER for charger (OCPP) data.
    """
    if aggregator is not None:
        return Source.AGGREGATOR
    if site is not None and sent_by is not None and not account_queries.is_staff_user(user=sent_by):
        return Source.OWNER
    return Source.CHARGER if format == "ocpp" else Source.UTILITY


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
    `duplicate_upload` True and store nothing, once that upload is PROCESSED or REJECTED.
    An earlier upload that FAILED, or whose processing process is gone, is processed again
    (taken over); one a live process is processing is returned as it is. A file rejected as
    a whole is kept with its report and status REJECTED. Raises InvalidFormat for an
    unknown `format`, IdempotencyKeyReused when `client_key` already names different bytes,
    and UploadFailed as `process_upload` does.
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
            if prior is not None and (prior.status in FINAL_STATUSES or background):
                return _again(prior, background=background)
        if prior is not None:
            return _again(prior, background=background, now=now, storage=storage)
        with transaction.atomic():
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
                source=source_of(format=format, site=site, aggregator=aggregator, sent_by=sent_by),
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


def _again(
    prior: Upload,
    *,
    background: bool,
    now: datetime | None = None,
    storage: StoragePath = "auto",
) -> IngestResult:
    """Return the result of sending `prior`'s bytes again: it, or it processed again."""
    if prior.status in FINAL_STATUSES:
        return IngestResult(prior, duplicate_upload=True)
    if background or now is None:
        prior_id = prior.pk
        transaction.on_commit(lambda: tasks.process_upload.delay(upload_id=prior_id))
        return IngestResult(prior, duplicate_upload=False)
    return IngestResult(
        process_upload(upload_id=prior.pk, now=now, storage=storage), duplicate_upload=False
    )


def process_upload(*, upload_id: int, now: datetime, storage: StoragePath = "auto") -> Upload:
    """Validate an upload and make its readings current; return it processed.

    An upload already PROCESSED or REJECTED, or being processed by a live process, is
    returned unchanged (a redelivered task, a second request). One that FAILED or whose
    process is gone is taken over. Everything the file changes in readings commits together
    with the upload's final state, or not at all. A load that meets a deadlock or a
    serialization failure runs again (MERGE_ATTEMPTS in all). Any other error leaves the
    upload FAILED with the error in its report and raises UploadFailed.
    """
    holds_lock = connection.vendor == "postgresql"
    if holds_lock and not locks.try_hold_upload(upload_id):
        return Upload.objects.get(pk=upload_id)
    try:
        upload = _claim(upload_id=upload_id, postgres=holds_lock)
        if upload is None:
            return Upload.objects.get(pk=upload_id)
        with _FailureRecorded(upload=upload, now=now):
            for attempt in range(1, MERGE_ATTEMPTS + 1):
                try:
                    return _process(upload, now=now, storage=storage)
                except OperationalError as error:
                    if attempt == MERGE_ATTEMPTS or not _retryable(error):
                        raise
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover
    finally:
        if holds_lock:
            locks.release_upload(upload_id)


def _retryable(error: OperationalError) -> bool:
    """Return whether the database refused the load only for a conflict with another one."""
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(error)


def _claim(*, upload_id: int, postgres: bool) -> Upload | None:
    """Mark the upload PROCESSING by this process; None if it is final or owned elsewhere.

    On PostgreSQL the caller holds the upload's session lock, which alone says who owns it.
    Elsewhere the lease does: its holder is alive (same host), or it has not expired.
    """
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload_id)
        if upload.status in FINAL_STATUSES:
            return None
        if (
            not postgres
            and upload.status == Upload.Status.PROCESSING
            and leases.holder_alive(upload.lease_holder)
            and Upload.objects.filter(pk=upload_id, lease_expires_at__gt=Now()).exists()
        ):
            return None
        # A PROCESSING upload here is one whose process died: its readings never committed.
        Upload.objects.filter(pk=upload_id).update(
            status=Upload.Status.PROCESSING,
            lease_holder=leases.holder(),
            lease_expires_at=Now() + LEASE,
        )
        upload.problems.all().delete()
        upload.refresh_from_db()
    return upload


class _FailureRecorded:
    """Leave the upload FAILED with the error in its report when processing raises.

    A context manager rather than an except clause: every error must be recorded, and then
    go on as UploadFailed (or as itself, for interruptions such as KeyboardInterrupt).
    """

    def __init__(self, *, upload: Upload, now: datetime) -> None:
        self._upload = upload
        self._now = now

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None or not isinstance(error, Exception):
            return
        reason = f"processing stopped on an error ({type(error).__name__}): {error}"[:2000]
        _write_failure(self._upload, reason=reason, now=self._now)
        raise UploadFailed(
            f"upload {self._upload.pk} failed; it may be sent again",
            details={"upload_id": self._upload.pk, "reason": reason},
        ) from error


def _process(upload: Upload, *, now: datetime, storage: StoragePath) -> Upload:
    """Run one attempt at the file: parse, validate, store and seal, or reject it."""
    upload.problems.all().delete()
    use_postgres = storage == "postgres" or (
        storage == "auto" and connection.vendor == "postgresql"
    )
    scope = queries.Scope(site_id=upload.site_id, aggregator_id=upload.aggregator_id)
    run = _Run(upload=upload, now=now, scope=scope)
    outranked = run.directory.outranked
    store: Store
    if not use_postgres:
        store = PortableStore(upload=upload, now=now, outranked=outranked)
    elif upload.size_bytes >= settings.METERING_PIPELINE_MIN_BYTES:
        store = PipelinedPostgresStore(upload=upload, now=now, outranked=outranked)
    else:
        store = PostgresStore(upload=upload, now=now, outranked=outranked)
    try:
        outer = transaction.atomic() if store.needs_outer_transaction else contextlib.nullcontext()
        with outer:
            run.execute(store)
            if upload.status == Upload.Status.PROCESSED:
                # Inside the transaction that commits the readings: followers hear of them
                # once they are there (the pipelined store has committed them already).
                readings_written.announce(written=_written(upload, run))
    except FileRejected as rejection:
        return _write_rejection(
            upload, code=rejection.code, reason=rejection.reason, problems=run.kept, now=now
        )
    finally:
        store.close()
    return upload


def _written(upload: Upload, run: "_Run") -> readings_written.Written:
    spans = run.written_spans()
    return readings_written.Written(
        upload_id=upload.pk,
        spans=tuple(
            readings_written.Span(channel_id=channel_id, start=span.start, end=span.end)
            for channel_id, span in sorted(spans.items())
        ),
    )


@dataclass
class _Tally:
    """Accepted intervals of one channel in one file."""

    intervals: int
    wh: int
    first_start: datetime
    last_end: datetime


class _Run:
    """One pass over an upload's file: parse, validate, store, report."""

    def __init__(self, *, upload: Upload, now: datetime, scope: queries.Scope) -> None:
        self.upload = upload
        self.now = now
        self.scope = scope
        self.directory = queries.ChannelDirectory(scope=scope, source=upload.source)
        self.notes = ParseNotes()
        self.kept: list[Problem] = []
        self.rows = 0
        self.rejected = 0
        self.gaps = 0
        self.channels: dict[int, _Tally] = {}
        # Instants of interpolated values per channel, which the tallies do not count but
        # the daily totals must cover.
        self.estimated_spans: dict[int, daily_totals.Span] = {}
        self._pending: list[UploadProblem] = []
        self.problem_count = 0

    def execute(self, target: Store) -> StoreCounts:
        """Validate the whole file into `target`, then seal; return the store's counts."""
        timezone = self._timezone()
        validator = Validator(resolve=self.directory.facts, now=self.now)
        with self.upload.file.open("rb") as field_file:
            # The plain file under Django's FieldFile proxy: the parsers read it line by
            # line, and the proxy's per-call overhead showed in profiles.
            handle = field_file.file
            # The items of one source row (one location: a CSV line, an XML reading, a
            # batch element) are kept together, so the row is accepted or refused whole.
            row: list[Item] = []
            row_location = ""
            try:
                for item in self._items(handle, timezone=timezone):
                    self.rows += 1
                    location = item.source if isinstance(item, ParsedReading) else item.location
                    if location != row_location:
                        if row:
                            self._row(row, validator=validator, target=target)
                        row = []
                        row_location = location
                    row.append(item)
                    if self.rows % PROGRESS_EVERY == 0:
                        self._progress(handle)
            except FileRejected:
                # The row read before the break is still reported; nothing is stored.
                self._row(row, validator=validator, target=None)
                raise
            self._row(row, validator=validator, target=target)
            self._flush_problems()
            return target.finish(seal=self._seal)

    def _row(self, items: list[Item], *, validator: Validator, target: Store | None) -> None:
        """Validate and store one source row's items: all its readings, or none of them.

        With no `target` (the file was rejected), only the row's problems are reported.
        """
        if len(items) == 1 and type(items[0]) is ParsedReading:
            # Most rows carry one reading: checked alone, without the row's bookkeeping
            # (this runs once per row of every file).
            outcomes = validator.check(items[0])
        elif any(isinstance(item, RowError) for item in items):
            self._refuse_unreadable_row(items)
            return
        else:
            outcomes = validator.check_row(
                [item for item in items if isinstance(item, ParsedReading)]
            )
        for outcome in outcomes:
            if isinstance(outcome, Accepted):
                if target is None:
                    continue
                target.add(outcome)
                if not outcome.estimated:
                    self._count(outcome)
                else:
                    self._widen(outcome)
            else:
                self._problem(outcome)

    def _refuse_unreadable_row(self, items: list[Item]) -> None:
        """Report a row a part of which could not be read: its readings are refused with it,
        the same rule as for a reading validation refuses (Validator.check_row)."""
        first = next(item for item in items if isinstance(item, RowError))
        because = f"its {first.field} could not be read"
        for item in items:
            if isinstance(item, RowError):
                self._problem(
                    Problem("REJECTED", item.location, item.field, item.reason, item.start)
                )
            else:
                self._problem(vee.refused_with_row(item, because=because))

    def _seal(self, counts: StoreCounts) -> None:
        _write_result(self.upload, run=self, counts=counts, now=self.now)

    def _items(self, handle: BinaryIO, *, timezone: str | None) -> Iterator[Item]:
        requested = self.upload.requested_format
        name = detect.sniff(handle) if requested == "auto" else requested
        self.upload.format = name
        Upload.objects.filter(pk=self.upload.pk).update(format=name)
        if name == "ocpp" and self.upload.source == Source.UTILITY:
            # Charger data loaded by staff counts as the charger's, not the utility's.
            self.upload.source = Source.CHARGER
            self.directory.source = Source.CHARGER  # before any channel is resolved
        Upload.objects.filter(pk=self.upload.pk).update(source=self.upload.source)
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

    def _widen(self, accepted: Accepted) -> None:
        span = self.estimated_spans.get(accepted.channel_id)
        start, end = accepted.start, accepted.end
        if span is not None:
            start, end = min(start, span.start), max(end, span.end)
        self.estimated_spans[accepted.channel_id] = daily_totals.Span(start, end)

    def written_spans(self) -> dict[int, daily_totals.Span]:
        """Return, per channel, the instants this file wrote or could have written."""
        spans = dict(self.estimated_spans)
        for channel_id, tally in self.channels.items():
            span = spans.get(channel_id)
            start, end = tally.first_start, tally.last_end
            if span is not None:
                start, end = min(start, span.start), max(end, span.end)
            spans[channel_id] = daily_totals.Span(start, end)
        return spans

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
        # Progress renews the lease (database clock, as the lease was taken).
        Upload.objects.filter(pk=self.upload.pk).update(
            rows_done=self.rows,
            rows_total=max(estimate, self.rows),
            lease_expires_at=Now() + LEASE,
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
        interval_start=problem.start,
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
        upload.lease_holder, upload.lease_expires_at = "", None
        upload.save()
    return upload


def _write_failure(upload: Upload, *, reason: str, now: datetime) -> None:
    """Mark the upload FAILED with the error as its report; its readings never committed."""
    with transaction.atomic():
        upload.problems.all().delete()
        UploadProblem.objects.create(
            upload=upload,
            seq=1,
            kind=UploadProblem.Kind.FILE,
            location="file",
            field="file",
            reason=reason,
        )
        Upload.objects.filter(pk=upload.pk).update(
            status=Upload.Status.FAILED,
            rejection_code="processing_error",
            rejection_reason=reason,
            processed_at=now,
            lease_holder="",
            lease_expires_at=None,
        )
    upload.refresh_from_db()


# How a refusal names the source whose value it may not replace.
_HELD_BY = {
    Source.UTILITY: "the utility",
    Source.AGGREGATOR: "an aggregator",
    Source.CHARGER: "the charger",
    Source.OWNER: "the owner",
}


def _refusal_rows(upload: Upload, *, run: _Run, counts: StoreCounts) -> list[UploadProblem]:
    """Report each refused reading and take it out of its channel's tally."""
    rows = []
    # In the order of the file's intervals (PostgreSQL returns refusals in no order), so
    # the readings of one row are reported next to each other.
    for refusal in sorted(counts.refused, key=lambda r: (r.start, r.location, r.channel_id)):
        run.problem_count += 1
        run.rejected += 1
        held_by = _HELD_BY.get(Source(refusal.held_by), refusal.held_by)
        reason = f"{held_by} already reported this interval; its value stays"
        rows.append(
            _problem_row(
                upload,
                run.problem_count,
                Problem("REJECTED", refusal.location, "wh", reason, refusal.start),
            )
        )
        tally = run.channels.get(refusal.channel_id)
        if tally is not None:
            tally.intervals -= 1
            tally.wh -= refusal.wh
            if tally.intervals == 0:
                del run.channels[refusal.channel_id]
    return rows


def _write_result(upload: Upload, *, run: _Run, counts: StoreCounts, now: datetime) -> Upload:
    """Record the outcome of a processed file; a file with no valid reading is rejected."""
    # Before the refusals take readings out of the tallies: a refused day is recomputed
    # to what it already was, which costs little and misses nothing.
    spans = run.written_spans()
    UploadProblem.objects.bulk_create(_refusal_rows(upload, run=run, counts=counts))
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
    upload.lease_holder, upload.lease_expires_at = "", None
    upload.save()
    # In the seal's transaction, on the connection that merged the readings (the pipelined
    # store's thread), so the totals commit with the readings or not at all.
    daily_totals.refresh(spans=spans)
    return upload
