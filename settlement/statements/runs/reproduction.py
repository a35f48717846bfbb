"""Reproducing a settlement run from exactly what it recorded, compared byte for byte.

A run records, per participant, the readings it read by natural key (channel, start,
duration, count, revision), the enrollments and channels, and the tariff and rule versions
it used. Reproducing it loads those readings at those revisions (the current row when it
is still at that revision, else the revision history), computes every statement again with
the settlement's own code and what earlier runs had booked, and compares:

- the input hash and the result hash, recomputed against the recorded ones;
- the canonical serialisation (`canonical_statement`) of every stored statement and its
  lines against the recomputed one, byte for byte, naming the first difference.

Readings revised or added after the run change nothing: they are not what it read.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np

from accounts.models import Channel, Site
from settlement.errors import DomainError
from settlement.metering.models import Reading, ReadingRevision, Source
from settlement.rating.local_time import epoch_seconds
from settlement.statements.lines import computation, inputs, lineage, paid_rules, run_lineage
from settlement.statements.models import SettlementRun, Statement, StatementLine
from settlement.statements.runs import operations

_KWH = Decimal("0.001")
_PRICE = Decimal("0.00001")
_CENT = Decimal("0.01")
LABEL_LENGTH = 300


class RunNotReproducible(DomainError):
    """The run did not complete, or was settled before runs recorded their readings."""

    code = "run_not_reproducible"
    http_status = 409


@dataclass(frozen=True)
class Reproduction:
    """The verdict: hashes recorded and recomputed, and the first difference if any."""

    run_id: int
    inputs_sha256_recorded: str
    inputs_sha256_recomputed: str
    result_sha256_recorded: str
    result_sha256_recomputed: str
    first_difference: dict[str, object] | None

    @property
    def reproduced(self) -> bool:
        """Return True when both hashes and every statement byte agree."""
        return (
            self.first_difference is None
            and self.inputs_sha256_recorded == self.inputs_sha256_recomputed
            and self.result_sha256_recorded == self.result_sha256_recomputed
        )

    def as_dict(self) -> dict[str, object]:
        """Return the verdict as JSON-ready values."""
        return {
            "run_id": self.run_id,
            "reproduced": self.reproduced,
            "inputs_sha256_recorded": self.inputs_sha256_recorded,
            "inputs_sha256_recomputed": self.inputs_sha256_recomputed,
            "result_sha256_recorded": self.result_sha256_recorded,
            "result_sha256_recomputed": self.result_sha256_recomputed,
            "first_difference": self.first_difference,
        }


def _decimal(value: Decimal | None, places: Decimal) -> str | None:
    return None if value is None else str(Decimal(value).quantize(places))


def canonical_line(line: StatementLine | computation.ComputedLine) -> dict[str, object]:
    """Return a line, stored or recomputed, as stored: numbers at the columns' places, the
    label as long as kept."""
    return {
        "kind": line.kind,
        "adjusts_kind": line.adjusts_kind,
        "label": line.label[:LABEL_LENGTH],
        "match_key": line.match_key,
        "kwh": _decimal(line.kwh, _KWH),
        "price": _decimal(line.price, _PRICE),
        "amount": _decimal(line.amount, _CENT),
        "tariff_version_id": line.tariff_version_id,
        "rule_version": line.rule_version,
        "event_result": line.event_result,
        "lineage": line.lineage,
        "detail": line.detail,
    }


def canonical_statement(
    participant_id: int, currency: str, total: Decimal, lines: list[dict[str, object]]
) -> dict[str, object]:
    """Return a statement and its lines in the one form stored and recomputed ones share."""
    return {
        "participant_id": participant_id,
        "currency": currency,
        "total": _decimal(total, _CENT),
        "lines": lines,
    }


def _stored(run: SettlementRun) -> dict[int, tuple[int, dict[str, object]]]:
    found = {}
    for statement in Statement.objects.filter(run=run).prefetch_related("lines"):
        lines = [
            canonical_line(line)
            for line in sorted(statement.lines.all(), key=lambda line: line.number)
        ]
        found[statement.participant_id] = (
            statement.pk,
            canonical_statement(
                statement.participant_id, statement.currency, statement.total, lines
            ),
        )
    return found


def _recomputed(
    participant_id: int, currency: str, lines: list[computation.ComputedLine]
) -> dict[str, object]:
    return canonical_statement(
        participant_id,
        currency,
        sum((line.amount for line in lines), computation.ZERO_AMOUNT),
        [canonical_line(line) for line in lines],
    )


def _first_difference(
    statement_id: int | None,
    participant_id: int,
    stored: dict[str, object] | None,
    recomputed: dict[str, object] | None,
) -> dict[str, object] | None:
    # Byte comparison first; only when it fails, find the first line and field that differ.
    if lineage.canonical_json(stored) == lineage.canonical_json(recomputed):
        return None
    where: dict[str, object] = {"statement_id": statement_id, "participant_id": participant_id}
    if stored is None or recomputed is None:
        return {**where, "line": None, "field": "statement", "recorded": stored is not None}
    stored_lines: list[dict[str, object]] = stored["lines"]  # type: ignore[assignment]
    fresh_lines: list[dict[str, object]] = recomputed["lines"]  # type: ignore[assignment]
    for number, (was, now) in enumerate(zip(stored_lines, fresh_lines, strict=False), start=1):
        for field in was:
            if lineage.canonical_json(was[field]) != lineage.canonical_json(now.get(field)):
                return {
                    **where,
                    "line": number,
                    "field": field,
                    "recorded": was[field],
                    "recomputed": now.get(field),
                }
    if len(stored_lines) != len(fresh_lines):
        return {
            **where,
            "line": min(len(stored_lines), len(fresh_lines)) + 1,
            "field": "line count",
            "recorded": len(stored_lines),
            "recomputed": len(fresh_lines),
        }
    for field in ("participant_id", "currency", "total"):
        if stored[field] != recomputed[field]:
            return {
                **where,
                "line": None,
                "field": field,
                "recorded": stored[field],
                "recomputed": recomputed[field],
            }
    return {**where, "line": None, "field": "statement"}


def _channel_data(
    channel: Channel, keys: list[tuple[int, int, int]], values: dict[tuple[int, int, int], tuple]
) -> inputs.ChannelData:
    # keys: (start, duration, revision) in start order; values by (channel, start, revision).
    found = [
        values[(channel.pk, start, revision)]
        for start, _, revision in keys
        if (channel.pk, start, revision) in values
    ]
    return inputs.ChannelData(
        channel_id=channel.pk,
        label=f"{channel.meter_id}/{channel.kind}",
        start_utc=np.array([row[0] for row in found], dtype=np.int64),
        duration_s=np.array([row[1] for row in found], dtype=np.int64),
        wh=np.array([row[2] for row in found], dtype=np.int64),
        revision=np.array([row[3] for row in found], dtype=np.int64),
        quality=np.array([inputs.QUALITY_CODE[row[4]] for row in found], dtype=np.int64),
        self_reported=np.array([row[5] == Source.OWNER for row in found], dtype=bool),
    )


def _reading_values(
    keys: set[tuple[int, int, int]],
) -> dict[tuple[int, int, int], tuple]:
    """Return (start, duration, Wh, revision, quality, source) by (channel, start, revision)."""
    channel_ids = sorted({key[0] for key in keys})
    values: dict[tuple[int, int, int], tuple] = {}
    if not keys:
        return values
    # The keys' own span: availability judges charger readings past the period's end (an
    # overnight window of its last day).
    first, last = min(key[1] for key in keys), max(key[1] for key in keys)
    older: dict[int, tuple[int, int]] = {}
    for pk, channel_id, start, duration, wh, revision, quality, source in Reading.objects.filter(
        channel_id__in=channel_ids,
        start__gte=datetime.fromtimestamp(first, tz=UTC),
        start__lte=datetime.fromtimestamp(last, tz=UTC),
    ).values_list("pk", "channel_id", "start", "duration_s", "wh", "revision", "quality", "source"):
        start_s = epoch_seconds(start)
        values[(channel_id, start_s, revision)] = (start_s, duration, wh, revision, quality, source)
        older[pk] = (channel_id, start_s)
    wanted = {(key[0], key[1]) for key in keys if key not in values}
    revised = [pk for pk, natural in older.items() if natural in wanted]
    for reading_id, revision, duration, wh, quality, source in ReadingRevision.objects.filter(
        reading_id__in=revised
    ).values_list("reading_id", "revision", "duration_s", "wh", "quality", "source"):
        channel_id, start_s = older[reading_id]
        values[(channel_id, start_s, revision)] = (start_s, duration, wh, revision, quality, source)
    return values


def recorded_inputs(
    run: SettlementRun,
    participant_ids: list[int],
    recorded: dict[int, run_lineage.ParticipantLineage],
    event_results: list[run_lineage.EventResult],
) -> operations.ChunkInputs:
    """Return the chunk's inputs as the run recorded them: enrollments, channels, revisions."""
    sites = {
        site.pk: site
        for site in Site.objects.filter(
            pk__in={e[1] for pid in participant_ids for e in recorded[pid].enrollments}
        )
    }
    channels = {
        channel.pk: channel
        for channel in Channel.objects.filter(
            pk__in={c[1] for pid in participant_ids for c in recorded[pid].channels}
        )
    }
    enrollments: dict[int, list[inputs.SiteEnrollment]] = {}
    channels_by_site: dict[int, list[Channel]] = defaultdict(list)
    keys_by_channel: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for participant_id in participant_ids:
        entry = recorded[participant_id]
        enrollments[participant_id] = [
            inputs.SiteEnrollment(
                enrollment_id=enrollment_id,
                site_id=site_id,
                site_label=sites[site_id].account_number,
                site_time_zone=sites[site_id].timezone,
                start=date.fromisoformat(start),
                end=date.fromisoformat(end),
            )
            for enrollment_id, site_id, start, end in entry.enrollments
        ]
        for site_id, channel_id in entry.channels:
            channels_by_site[site_id].append(channels[channel_id])
        for channel_id, start, duration, revision in lineage.expand(entry.readings):
            keys_by_channel[channel_id].append((start, duration, revision))
    keys = {
        (channel_id, start, revision)
        for channel_id, found in keys_by_channel.items()
        for start, _, revision in found
    }
    values = _reading_values(keys)
    readings = {
        channel.pk: _channel_data(channel, sorted(set(keys_by_channel.get(channel.pk, []))), values)
        for found in channels_by_site.values()
        for channel in found
    }
    # The other rules' lines read the event results (kept when superseded) and the charger
    # readings the run recorded.
    recorded_rows = sorted(
        (channel_id, row[0], row[1], row[3], row[4])
        for (channel_id, _, _), row in values.items()
        if (channel_id, row[0], row[3]) in keys
    )
    paid = paid_rules.load(
        program=run.program,
        period=operations.period_of(run),
        participant_ids=participant_ids,
        enrollments=enrollments,
        delivery_ids=[result.delivery_id for result in event_results],
        recorded_readings=recorded_rows,
    )
    return operations.ChunkInputs(enrollments, dict(channels_by_site), readings, paid)


def reproduce_run(*, run: SettlementRun) -> Reproduction:
    """Return whether the run's statements come out the same from its recorded inputs.

    Raises RunNotReproducible for a run that did not complete or recorded no revisions.
    """
    if run.status != SettlementRun.Status.COMPLETED:
        raise RunNotReproducible(
            f"run {run.pk} is {run.status.lower()}: only a completed run can be reproduced",
            details={"field": "run"},
        )
    stored_participants = run.inputs.get("participants", {})
    if any("readings" not in entry for entry in stored_participants.values()):
        raise RunNotReproducible(
            f"run {run.pk} was settled before runs recorded the reading revisions they read",
            details={"field": "run"},
        )
    # The stored JSON becomes the typed lineage here, once; everything below reads that.
    recorded = {
        int(key): run_lineage.ParticipantLineage.from_json(entry)
        for key, entry in stored_participants.items()
    }
    event_results = [
        run_lineage.EventResult.from_json(entry) for entry in run.inputs.get("event_results", [])
    ]
    stored = _stored(run)
    currency = run.program.currency
    chunks: list[run_lineage.ChunkLineage] = []
    first_difference = None
    for chunk in run.chunks.order_by("index"):
        ids = list(chunk.participant_ids)
        given = recorded_inputs(run, ids, recorded, event_results)
        results, parts, _ = operations.compute_participants(run, ids, given)
        statements: dict[int, str | None] = {}
        for result in results:
            document = (
                None
                if result.lines is None
                else operations.statement_document(result.participant_id, currency, result.lines)
            )
            statements[result.participant_id] = (
                None if document is None else lineage.sha256_of(document)
            )
            statement_id, was = stored.get(result.participant_id, (None, None))
            now = (
                None
                if result.lines is None
                else _recomputed(result.participant_id, currency, result.lines)
            )
            if first_difference is None:
                first_difference = _first_difference(statement_id, result.participant_id, was, now)
        chunks.append(
            operations.chunk_lineage(
                results=results, parts=parts, given=given, statements=statements
            )
        )
    recomputed = operations.run_inputs(run=run, merged=run_lineage.merge(chunks))
    return Reproduction(
        run_id=run.pk,
        inputs_sha256_recorded=run.inputs_sha256,
        inputs_sha256_recomputed=recomputed.inputs_sha256(),
        result_sha256_recorded=run.result_sha256,
        result_sha256_recomputed=recomputed.result_sha256(),
        first_difference=first_difference,
    )
