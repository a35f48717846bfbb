"""A rating preview: a meter's readings over local dates priced with a tariff plan's versions.

Each version in force over the range prices its own part (split at the version's local
start date); lines of a multi-version preview are prefixed with their version ("v2 Peak").
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts import channel_kinds
from accounts.models import Channel
from settlement.errors import DomainError, NotFound
from settlement.programs import queries as program_queries
from settlement.rating.result import RatingResult
from settlement.rating.tariff import TouTariff
from settlement.rating.tou import price_tou
from settlement.rating.vector import price_vector
from settlement.statements import queries
from settlement.tariffs import queries as tariff_queries
from settlement.tariffs.models import TariffPlan, TariffVersion

# A preview is interactive: a year of 15-minute readings is the most it prices at once.
MAX_DAYS = 366


class ChannelNotFound(NotFound):
    """No channel of this meter (of this kind) exists."""

    code = "channel_not_found"


class PreviewRangeInvalid(DomainError):
    """The dates do not make a non-empty range of at most a year."""

    code = "preview_range_invalid"


class NoVersionInForce(DomainError):
    """Some local date of the range has no tariff version in force."""

    code = "tariff_version_missing"


@dataclass(frozen=True)
class PreviewLine:
    """One priced line: kWh x price = amount (rounded half-up to cents once)."""

    label: str
    kwh: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PreviewPart:
    """The local dates [start, end) one version priced, and what it came to."""

    version: int
    start: date
    end: date
    total: Decimal


@dataclass(frozen=True)
class PreviewResult:
    """The lines and total of a preview, the version in force at its start and its parts."""

    tariff: str
    version: int
    meter: str
    channel_kind: str
    time_zone: str
    start: date
    end: date
    lines: tuple[PreviewLine, ...]
    total: Decimal
    parts: tuple[PreviewPart, ...]

    def as_dict(self) -> dict[str, object]:
        """Return the JSON of `rate_preview` and the staff API (Decimals as strings)."""
        return {
            "tariff": self.tariff,
            "version": self.version,
            "meter": self.meter,
            "channel_kind": self.channel_kind,
            "time_zone": self.time_zone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "lines": [
                {
                    "label": line.label,
                    "kwh": str(line.kwh),
                    "price": str(line.price),
                    "amount": str(line.amount),
                }
                for line in self.lines
            ],
            "total": str(self.total),
            "parts": [
                {
                    "version": part.version,
                    "start": part.start.isoformat(),
                    "end": part.end.isoformat(),
                    "total": str(part.total),
                }
                for part in self.parts
            ],
        }


def _channel(meter_id: str, channel_kind: str | None, plan: TariffPlan, on: date) -> Channel:
    channels = Channel.objects.filter(meter_id=meter_id)
    # Without a kind asked for, the program rule that pays by the plan says which channel
    # it settles on; with no such rule, the meter's one export channel.
    kind = channel_kind or program_queries.export_channel_kind(plan=plan, on=on)
    if kind is None:
        channels = channels.filter(kind__in=sorted(channel_kinds.EXPORT_KINDS))
    else:
        channels = channels.filter(kind=kind)
    channel = channels.first()
    if channel is None:
        kind = kind or "export"
        raise ChannelNotFound(
            f"meter {meter_id!r} has no {kind} channel", details={"field": "meter"}
        )
    return channel


def _parts(plan: TariffPlan, start: date, end: date) -> list[tuple[TariffVersion, date, date]]:
    parts = []
    cursor = start
    for version in tariff_queries.versions_overlapping(plan=plan, start=start, end=end):
        if version.effective_from > cursor:
            break
        part_end = min(end, version.effective_to or end)
        parts.append((version, cursor, part_end))
        cursor = part_end
    if cursor < end:
        raise NoVersionInForce(
            f"tariff {plan.code} has no version in force on {cursor}",
            details={"field": "start" if cursor == start else "end", "date": cursor.isoformat()},
        )
    return parts


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _price(
    version: TariffVersion, channel: Channel, start: date, end: date, zone: ZoneInfo
) -> RatingResult:
    tariff = tariff_queries.rating_tariff(version=version, start=start, end=end)
    start_utc, end_utc = _local_midnight(start, zone), _local_midnight(end, zone)
    intervals = queries.current_intervals(channel=channel, start_utc=start_utc, end_utc=end_utc)
    if isinstance(tariff, TouTariff):
        return price_tou(intervals, tariff, period_start_utc=start_utc, period_end_utc=end_utc)
    return price_vector(intervals, tariff, period_start_utc=start_utc, period_end_utc=end_utc)


def preview_rating(
    *, tariff_code: str, meter_id: str, channel_kind: str | None, start: date, end: date
) -> PreviewResult:
    """Return the meter's readings over local dates [start, end) priced with plan `tariff_code`.

    Dates are local in the plan's zone; `channel_kind` None means the meter's export channel.
    Each version in force prices its own part. Raises TariffPlanNotFound, ChannelNotFound,
    PreviewRangeInvalid, NoVersionInForce, ReadingCrossesBoundary or RatingInputError.
    """
    if end <= start:
        raise PreviewRangeInvalid(
            f"end {end} must be after start {start}", details={"field": "end"}
        )
    if (end - start).days > MAX_DAYS:
        raise PreviewRangeInvalid(
            f"at most {MAX_DAYS} days can be previewed at once", details={"field": "end"}
        )
    plan = tariff_queries.plan_by_code(code=tariff_code)
    channel = _channel(meter_id, channel_kind, plan, start)
    zone = ZoneInfo(plan.timezone)
    parts = _parts(plan, start, end)
    lines: list[PreviewLine] = []
    totals: list[PreviewPart] = []
    for version, part_start, part_end in parts:
        result = _price(version, channel, part_start, part_end, zone)
        prefix = f"v{version.version} " if len(parts) > 1 else ""
        lines.extend(
            PreviewLine(
                label=f"{prefix}{line.label}", kwh=line.kwh, price=line.price, amount=line.amount
            )
            for line in result.lines
        )
        totals.append(PreviewPart(version.version, part_start, part_end, result.total))
    return PreviewResult(
        tariff=plan.code,
        version=parts[0][0].version,
        meter=meter_id,
        channel_kind=channel.kind,
        time_zone=plan.timezone,
        start=start,
        end=end,
        lines=tuple(lines),
        total=sum((part.total for part in totals), Decimal("0.00")),
        parts=tuple(totals),
    )
