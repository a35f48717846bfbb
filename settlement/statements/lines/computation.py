"""Computing one participant's statement lines for a period from readings and rules.

Reading quality decides what is paid: ACTUAL, EDITED and DERIVED readings are priced;
ESTIMATED ones are priced only when the rule pays estimates, otherwise held (a line says
so, and the recalculation that sees their actual values pays them); FORECAST and SUSPECT
readings are held; MISSING readings and gaps are never priced as zero: a line states the
missing hours. A site with no readings at all gets a "not settleable" line with the reason.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from accounts.models import Channel
from settlement.metering.formats import quality as quality_codes
from settlement.rating.billing_period import cumulative_wh
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import Int64Array
from settlement.rating.result import NO_BUCKET, Line, RatingResult
from settlement.statements.lines import line_labels, lineage
from settlement.statements.lines.channel_rating import (
    ChannelRatings,
    ChannelWindow,
    Piece,
    paid_mask,
    rows_in,
)
from settlement.statements.lines.export_rules import ExportRulePart, Gap
from settlement.statements.lines.inputs import QUALITY_CODE, ChannelData, SiteEnrollment
from settlement.statements.lines.lineage import Run

ZERO_KWH = Decimal("0.000")
ZERO_AMOUNT = Decimal("0.00")
_ESTIMATED = QUALITY_CODE[quality_codes.Quality.ESTIMATED]
_MISSING = QUALITY_CODE[quality_codes.Quality.MISSING]
_KIND_OF_COMPONENT = {
    "export": "EXPORT_ENERGY",
    "generation": "EXPORT_ENERGY",
    "delivery": "EXPORT_ENERGY",
    "fixed": "FIXED",
    "adjustment": "BOUND",
    "bound": "BOUND",
}
# Kinds that state a fact about the data and carry no money; never booked as differences.
INFORMATION_KINDS = frozenset({"MISSING_DATA", "HELD_ESTIMATED", "NOT_SETTLEABLE"})


@dataclass(frozen=True)
class ComputedLine:
    """A statement line before it is stored."""

    kind: str
    label: str
    match_key: str
    kwh: Decimal
    price: Decimal | None
    amount: Decimal
    tariff_version_id: int | None = None
    rule_version: str = ""
    event_result: str = ""
    lineage: list[Run] = field(default_factory=list)
    detail: dict[str, object] = field(default_factory=dict)
    adjusts_kind: str = ""

    def as_dict(self) -> dict[str, object]:
        """Return the line as canonical JSON values (Decimals as strings)."""
        return {
            "kind": self.kind,
            "adjusts_kind": self.adjusts_kind,
            "label": self.label,
            "match_key": self.match_key,
            "kwh": str(self.kwh),
            "price": None if self.price is None else str(self.price),
            "amount": str(self.amount),
            "tariff_version_id": self.tariff_version_id,
            "rule_version": self.rule_version,
            "event_result": self.event_result,
            "lineage": self.lineage,
            "detail": self.detail,
        }


@dataclass
class DataQuality:
    """Seconds of the period a participant's readings paid, held, or left missing."""

    active_s: int = 0
    missing_s: int = 0
    estimated_s: int = 0
    self_reported: bool = False


@dataclass
class ComputedStatement:
    """One participant's lines for the period, with what was read to compute them."""

    participant_id: int
    lines: list[ComputedLine]
    quality: DataQuality
    # Every reading read (paid or not), by natural key: the run's input lineage.
    readings: list[Run]

    @property
    def total(self) -> Decimal:
        """Return the exact sum of the line amounts."""
        return sum((line.amount for line in self.lines), ZERO_AMOUNT)


def _hours(seconds: int) -> str:
    return f"{Decimal(seconds) / 3600:.2f}".rstrip("0").rstrip(".")


def _gap_ranges(
    starts: Int64Array, ends: Int64Array, window: tuple[int, int], limit: int = 20
) -> list[list[str]]:
    """Return up to `limit` [start, end) UTC ranges of the window no reading covers."""
    ranges = []
    cursor = window[0]
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if start > cursor:
            ranges.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < window[1]:
        ranges.append((cursor, window[1]))
    return [
        [
            datetime.fromtimestamp(a, tz=UTC).isoformat(),
            datetime.fromtimestamp(b, tz=UTC).isoformat(),
        ]
        for a, b in ranges[:limit]
    ]


@dataclass
class _Context:
    """What pricing one channel under one rule part needs, and where its output goes."""

    statement: ComputedStatement
    ratings: ChannelRatings
    prefix: str
    # The program's currency, which the labels' prices are written in.
    currency: str


def _not_settleable(key: str, reason: str) -> ComputedLine:
    return ComputedLine(
        kind="NOT_SETTLEABLE",
        label=f"Not settleable: {reason}",
        match_key=f"not_settleable:{key}",
        kwh=ZERO_KWH,
        price=None,
        amount=ZERO_AMOUNT,
        detail={"reason": reason},
    )


def _piece_of(context: _Context, window: ChannelWindow, result: RatingResult, number: int) -> int:
    # Which piece (tariff version) a core line belongs to: an energy line by where its energy
    # lies, a fixed line by the first version that has the item, a bound line is the first's.
    line = result.lines[number]
    if line.bucket != NO_BUCKET:
        rows = result.attribution.bucket == line.bucket
        first = int(result.attribution.start_utc[rows].min())
        return int(np.searchsorted(window.piece_starts_utc(), first, side="right")) - 1
    if line.component == "fixed":
        for index, piece in enumerate(window.pieces):
            tariff = context.ratings.tariffs.get(piece.part, piece.start, piece.end)
            if any(
                (item.label, item.amount, item.per) == (line.label, line.price, line.unit)
                for item in tariff.fixed_items
            ):
                return index
    return 0


def _bucket_name(context: _Context, piece: Piece, line: Line) -> str:
    # Stable across runs, so a recalculation matches the line: energy by bucket, a fixed
    # item by its place in its version, the bound as the one bound.
    if line.bucket != NO_BUCKET:
        return str(line.bucket)
    if line.component == "fixed":
        tariff = context.ratings.tariffs.get(piece.part, piece.start, piece.end)
        for index, item in enumerate(tariff.fixed_items):
            if (item.label, item.amount, item.per) == (line.label, line.price, line.unit):
                return f"item{index}"
    return line.component


def _priced_lines(
    context: _Context,
    *,
    window: ChannelWindow,
    paid: Int64Array,
    result: RatingResult,
) -> list[ComputedLine]:
    # The core's lines as statement lines, each naming the version that priced it and the
    # readings (`paid` indexes the channel's arrays) its bucket's energy came from.
    attribution, data = result.attribution, window.data
    lines = []
    for number, line in enumerate(result.lines):
        piece = window.pieces[_piece_of(context, window, result, number)]
        backing = np.zeros(0, dtype=np.int64)
        if line.bucket != NO_BUCKET:
            backing = paid[np.unique(attribution.interval[attribution.bucket == line.bucket])]
        detail: dict[str, object] = {
            "component": line.component,
            "unit": line.unit,
            "quantity": str(line.quantity),
        }
        label = f"{context.prefix}{line.label}"
        subject = line_labels.vector_subject(line.label)
        if subject is not None:
            sentence = line_labels.exported_sentence(
                subject, line.kwh, line.price, currency=context.currency
            )
            label = f"{context.prefix}{sentence}"
            detail["subject"] = f"{context.prefix}{subject}"
        key = f"export:{piece.part.version.pk}:{data.channel_id}"
        lines.append(
            ComputedLine(
                kind=_KIND_OF_COMPONENT[line.component],
                label=label,
                match_key=f"{key}:{line.component}:{_bucket_name(context, piece, line)}",
                kwh=line.kwh,
                price=line.price,
                amount=line.amount,
                tariff_version_id=piece.part.version.pk,
                rule_version=piece.part.rule_version,
                lineage=lineage.reading_runs(
                    channel_id=data.channel_id,
                    start_utc=data.start_utc,
                    duration_s=data.duration_s,
                    revision=data.revision,
                    indices=backing,
                ),
                detail=detail,
            )
        )
    return lines


def _price_channel(context: _Context, channel_window: ChannelWindow) -> None:
    part, data = channel_window.part, channel_window.data
    start, end = channel_window.dates
    statement, lines = context.statement, context.statement.lines
    start_utc, end_utc = channel_window.utc_bounds()
    rows = rows_in(data, start_utc, end_utc)
    active_s = end_utc - start_utc
    statement.quality.active_s += active_s
    statement.readings.extend(
        lineage.reading_runs(
            channel_id=data.channel_id,
            start_utc=data.start_utc,
            duration_s=data.duration_s,
            revision=data.revision,
            indices=rows,
        )
    )
    window = f"{data.label} from {start.isoformat()} to {end.isoformat()}"
    if rows.size == 0:
        statement.quality.missing_s += active_s
        lines.append(
            _not_settleable(f"{part.version.pk}:{data.channel_id}", f"no readings for {window}")
        )
        return
    quality = data.quality[rows]
    paid_rows = paid_mask(quality, part)
    missing_mask = quality == _MISSING
    held_mask = ~paid_rows & ~missing_mask
    statement.quality.self_reported |= bool(data.self_reported[rows][~missing_mask].any())
    # Only each reading's part inside the window counts (a reading over an edge is shared).
    starts, durations, energy = data.start_utc[rows], data.duration_s[rows], data.wh[rows]
    inside_starts = np.maximum(starts, start_utc)
    inside_ends = np.minimum(starts + durations, end_utc)
    inside_s = inside_ends - inside_starts
    present_mask = ~missing_mask
    present_starts, ends = inside_starts[present_mask], inside_ends[present_mask]
    missing_s = active_s - int(inside_s[present_mask].sum())
    statement.quality.missing_s += missing_s
    statement.quality.estimated_s += int(inside_s[quality == _ESTIMATED].sum())
    key = f"export:{part.version.pk}:{data.channel_id}"
    paid = rows[paid_rows]
    if paid.size == 0 and not held_mask.any():
        lines.append(_not_settleable(key, f"every reading of {window} is missing"))
        return
    if paid.size:
        result = context.ratings.outcome(channel_window)
        if isinstance(result, RatingInputError):
            lines.append(_not_settleable(key, f"{window}: {result}"))
            return
        lines.extend(_priced_lines(context, window=channel_window, paid=paid, result=result))
    held = rows[held_mask]
    if held.size:
        held_wh = cumulative_wh(
            inside_ends[held_mask] - starts[held_mask], energy[held_mask], durations[held_mask]
        ) - cumulative_wh(
            inside_starts[held_mask] - starts[held_mask], energy[held_mask], durations[held_mask]
        )
        held_kwh = Decimal(int(held_wh.sum())).scaleb(-3)
        lines.append(
            ComputedLine(
                kind="HELD_ESTIMATED",
                label=(
                    f"{context.prefix}{held.size} estimated readings ({held_kwh} kWh) held "
                    "until actual readings arrive"
                ),
                match_key=f"{key}:held",
                kwh=held_kwh,
                price=None,
                amount=ZERO_AMOUNT,
                tariff_version_id=part.version.pk,
                rule_version=part.rule_version,
                lineage=lineage.reading_runs(
                    channel_id=data.channel_id,
                    start_utc=data.start_utc,
                    duration_s=data.duration_s,
                    revision=data.revision,
                    indices=held,
                ),
            )
        )
    if missing_s > 0:
        missing_rows = rows[missing_mask]
        lines.append(
            ComputedLine(
                kind="MISSING_DATA",
                label=(
                    f"{context.prefix}Data missing for {_hours(missing_s)} h of {window}: "
                    "not paid until readings arrive"
                ),
                match_key=f"{key}:missing",
                kwh=ZERO_KWH,
                price=None,
                amount=ZERO_AMOUNT,
                tariff_version_id=part.version.pk,
                lineage=lineage.reading_runs(
                    channel_id=data.channel_id,
                    start_utc=data.start_utc,
                    duration_s=data.duration_s,
                    revision=data.revision,
                    indices=missing_rows,
                ),
                detail={
                    "missing_seconds": missing_s,
                    "gaps": _gap_ranges(present_starts, ends, (start_utc, end_utc)),
                },
            )
        )


def _pieces(enrollment: SiteEnrollment, parts: list[ExportRulePart]) -> list[Piece]:
    # The rule parts in force while the site is enrolled, each cut to those dates.
    return [
        Piece(part, max(part.start, enrollment.start), min(part.end, enrollment.end))
        for part in parts
        if part.start < enrollment.end and part.end > enrollment.start
    ]


def stretches(pieces: list[Piece]) -> list[tuple[Piece, ...]]:
    """Return `pieces` (in date order) joined into runs priced as one billing period each.

    A new run starts where dates are not contiguous (no rule in force between) or where
    the channel kind or the estimate rule changes; a tariff version change does not.
    """
    found: list[list[Piece]] = []
    for piece in pieces:
        last = found[-1][-1] if found else None
        if (
            last is not None
            and last.end == piece.start
            and last.part.channel_kind == piece.part.channel_kind
            and last.part.pay_estimated == piece.part.pay_estimated
        ):
            found[-1].append(piece)
        else:
            found.append([piece])
    return [tuple(group) for group in found]


def _channels_of(
    channels_by_site: dict[int, list[Channel]], site_id: int, kind: str
) -> list[Channel]:
    return [channel for channel in channels_by_site.get(site_id, []) if channel.kind == kind]


def channel_windows(
    *,
    enrollments: list[SiteEnrollment],
    parts: list[ExportRulePart],
    channels_by_site: dict[int, list[Channel]],
    readings: dict[int, ChannelData],
) -> list[ChannelWindow]:
    """Return every channel window `compute_statement` prices for these enrollments."""
    return [
        ChannelWindow(stretch, readings[channel.pk])
        for enrollment in enrollments
        for stretch in stretches(_pieces(enrollment, parts))
        for channel in _channels_of(
            channels_by_site, enrollment.site_id, stretch[0].part.channel_kind
        )
    ]


def compute_statement(
    *,
    participant_id: int,
    enrollments: list[SiteEnrollment],
    parts: list[ExportRulePart],
    gaps: list[Gap],
    channels_by_site: dict[int, list[Channel]],
    readings: dict[int, ChannelData],
    ratings: ChannelRatings,
    currency: str,
) -> ComputedStatement:
    """Return the participant's export lines for the period (pure given its inputs).

    Lines come in a fixed order: per site, per stretch of rule parts (date order, see
    `stretches`), per channel (meter order), the core's lines, then held and missing-data
    lines. A stretch spanning tariff versions is one billing period to the core: its fixed
    items and minimum/maximum bound apply once, not once per version. Channels `ratings` has not
    priced yet (see `channel_windows` and `ChannelRatings.price_together`) are priced alone.
    Labels write prices in `currency` (the program's).
    """
    statement = ComputedStatement(participant_id, [], DataQuality(), [])
    for enrollment in enrollments:
        site_prefix = f"{enrollment.site_label}: " if len(enrollments) > 1 else ""
        for stretch in stretches(_pieces(enrollment, parts)):
            kind = stretch[0].part.channel_kind
            channels = _channels_of(channels_by_site, enrollment.site_id, kind)
            if not channels:
                statement.lines.append(
                    _not_settleable(
                        f"{enrollment.site_id}:{kind}",
                        f"site {enrollment.site_label} has no {kind} channel",
                    )
                )
                continue
            for channel in channels:
                prefix = site_prefix
                if len(channels) > 1:
                    prefix += f"{channel.meter_id}: "
                _price_channel(
                    _Context(statement, ratings, prefix, currency),
                    ChannelWindow(stretch, readings[channel.pk]),
                )
        for gap in gaps:
            if gap.start < enrollment.end and gap.end > enrollment.start:
                statement.lines.append(
                    _not_settleable(
                        f"rule:{enrollment.site_id}:{gap.start.isoformat()}", gap.reason
                    )
                )
    return statement
