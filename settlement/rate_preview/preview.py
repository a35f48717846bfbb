"""A rating preview: a meter's readings over local dates priced with a tariff plan's versions.

The dates are one billing period: each version in force prices its own dates (lines of a
multi-version preview are prefixed with their version, "v2 Peak"), fixed items and the
minimum/maximum bound apply once to the whole range.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accounts import channel_kinds
from accounts.models import Channel
from settlement.errors import DomainError, NotFound
from settlement.programs import queries as program_queries
from settlement.rate_preview import period_rating
from settlement.rating.pricing import TariffSpan
from settlement.rating.tariff import TouTariff
from settlement.tariffs import queries as tariff_queries
from settlement.tariffs.models import TariffPlan

# A preview is interactive: a year of 15-minute readings is the most it prices at once.
MAX_DAYS = 366


class ChannelNotFound(NotFound):
    """No channel of this meter (of this kind) exists."""

    code = "channel_not_found"


class PreviewRangeInvalid(DomainError):
    """The dates do not make a non-empty range of at most a year."""

    code = "preview_range_invalid"


@dataclass(frozen=True)
class PreviewLine:
    """One priced line: quantity (kWh, days, months or 1 total) x price = amount, in cents."""

    label: str
    component: str
    unit: str
    quantity: Decimal
    kwh: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PreviewPart:
    """The local dates [start, end) one version is in force on."""

    version: int
    start: date
    end: date


@dataclass(frozen=True)
class PreviewResult:
    """The lines and total of a preview, the version in force at its start, parts and notes."""

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
    notes: tuple[str, ...]

    @property
    def total_kwh(self) -> Decimal:
        """Return the energy of every line (fixed items carry none)."""
        return sum((line.kwh for line in self.lines), Decimal(0))


def _channel(meter_id: str, channel_kind: str | None, plan: TariffPlan, on: date) -> Channel:
    channels = Channel.objects.filter(meter_id=meter_id).select_related("site")
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


def _notes(spans: tuple[TariffSpan, ...], start: date) -> tuple[str, ...]:
    # A preview's range need not be a billing month: tiers can only count what it holds.
    tiered = [
        span.tariff
        for span in spans
        if isinstance(span.tariff, TouTariff) and any(p.tiers for p in span.tariff.periods)
    ]
    notes = []
    if any(tariff.tier_basis == "monthly" for tariff in tiered) and start.day != 1:
        notes.append(
            f"Monthly tiers restart on {start.isoformat()}, the preview's start, not on the "
            "1st of the month: a statement for the whole billing month can price differently."
        )
    if tiered and len(spans) > 1:
        notes.append("Tiers restart where a new version comes into force.")
    return tuple(notes)


def preview_rating(
    *, tariff_code: str, meter_id: str, channel_kind: str | None, start: date, end: date
) -> PreviewResult:
    """Return the meter's readings over local dates [start, end) priced with plan `tariff_code`.

    Dates are local in the plan's zone, which must be the meter's site's zone;
    `channel_kind` None means the meter's export channel. Raises TariffPlanNotFound,
    ChannelNotFound, PreviewRangeInvalid, TariffZoneMismatch, NoVersionInForce or
    RatingInputError.
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
    rated = period_rating.rate_channel(channel=channel, plan=plan, start=start, end=end)
    return PreviewResult(
        tariff=plan.code,
        version=rated.parts[0].version.version,
        meter=meter_id,
        channel_kind=channel.kind,
        time_zone=plan.timezone,
        start=start,
        end=end,
        lines=tuple(
            PreviewLine(
                label=line.label,
                component=line.component,
                unit=line.unit,
                quantity=line.quantity,
                kwh=line.kwh,
                price=line.price,
                amount=line.amount,
            )
            for line in rated.result.lines
        ),
        total=rated.result.total,
        parts=tuple(
            PreviewPart(part.version.version, part.start, part.end) for part in rated.parts
        ),
        notes=_notes(rated.spans, start),
    )
