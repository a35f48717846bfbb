"""Rating one channel over one billing period: the unit settlement and the preview price by."""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from accounts.models import Channel
from settlement.errors import DomainError
from settlement.rate_preview import queries
from settlement.rating.pricing import TariffSpan, price_period
from settlement.rating.result import RatingResult
from settlement.tariffs import queries as tariff_queries
from settlement.tariffs.models import TariffPlan, TariffVersion


class NoVersionInForce(DomainError):
    """Some local date of the period has no tariff version in force."""

    code = "tariff_version_missing"
    # A well-formed request the tariff's data cannot answer (as a run's missing tariff).
    http_status = 409


class TariffZoneMismatch(DomainError):
    """The tariff's zone is not the site's: its prices would be read on the wrong clock."""

    code = "tariff_zone_mismatch"
    # The tariff and the site, as stored, disagree: a conflict, not a malformed request.
    http_status = 409


@dataclass(frozen=True)
class VersionPart:
    """The local dates [start, end) of the period one tariff version is in force on."""

    version: TariffVersion
    start: date
    end: date


@dataclass(frozen=True, eq=False)
class PeriodRating:
    """A billing period's priced result, the readings it rated and the versions that priced it.

    `result.attribution.interval` indexes `readings`, so every line names its readings by
    (channel, start, revision).
    """

    plan: TariffPlan
    start: date
    end: date
    parts: tuple[VersionPart, ...]
    spans: tuple[TariffSpan, ...]
    readings: queries.ChannelReadings
    result: RatingResult


def version_parts(*, plan: TariffPlan, start: date, end: date) -> tuple[VersionPart, ...]:
    """Return the versions in force over local dates [start, end), in order, covering it.

    Raises NoVersionInForce naming the first local date no version covers.
    """
    parts = []
    cursor = start
    for version in tariff_queries.versions_overlapping(plan=plan, start=start, end=end):
        if version.effective_from > cursor:
            break
        part_end = min(end, version.effective_to or end)
        parts.append(VersionPart(version, cursor, part_end))
        cursor = part_end
    if cursor < end:
        raise NoVersionInForce(
            f"tariff {plan.code} has no version in force on {cursor}",
            details={"field": "start" if cursor == start else "end", "date": cursor.isoformat()},
        )
    return tuple(parts)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def rate_channel(*, channel: Channel, plan: TariffPlan, start: date, end: date) -> PeriodRating:
    """Return the channel's current readings over local dates [start, end) priced by `plan`.

    The dates are local in the plan's zone, which must be the channel's site's zone. Each
    version in force prices its own dates; a reading that crosses a version change or an
    edge of the period is shared by time at it. Fixed items and the minimum/maximum bound
    apply once to the period (see `settlement.rating.pricing.price_period`). Raises
    TariffZoneMismatch, NoVersionInForce or RatingInputError.
    """
    site_zone = channel.site.timezone
    if site_zone != plan.timezone:
        raise TariffZoneMismatch(
            f"tariff {plan.code} is in {plan.timezone}, the site of meter {channel.meter_id} "
            f"in {site_zone}: prices would be read on the wrong local clock",
            details={"field": "tariff", "tariff_zone": plan.timezone, "site_zone": site_zone},
        )
    zone = ZoneInfo(plan.timezone)
    parts = version_parts(plan=plan, start=start, end=end)
    several = len(parts) > 1
    spans = tuple(
        TariffSpan(
            tariff=tariff_queries.rating_tariff(
                version=part.version, start=part.start, end=part.end
            ),
            start=_local_midnight(part.start, zone),
            end=_local_midnight(part.end, zone),
            label=f"v{part.version.version}" if several else "",
        )
        for part in parts
    )
    start_utc, end_utc = _local_midnight(start, zone), _local_midnight(end, zone)
    readings = queries.current_readings(channel=channel, start_utc=start_utc, end_utc=end_utc)
    result = price_period(
        readings.intervals, spans=spans, period_start_utc=start_utc, period_end_utc=end_utc
    )
    return PeriodRating(plan, start, end, parts, spans, readings, result)
