"""Readings into clock hours for event delivery: UTC hours, named by the local hour they start.

Pure: readings in, per-hour energy and the baseline's candidate days out. A reading that
crosses an hour is split in proportion to time. Each UTC hour is named by the local hour of
day (0-23) it starts in, in the program's zone: a fall-back day has two UTC hours named 1
(in America/Los_Angeles), which a candidate day keeps as one hour holding their mean; a
spring-forward day has no hour named 2 at all (see baselines.py).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from settlement.rating import baselines

HOUR = timedelta(hours=1)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Reading:
    """One reading of a channel: aware start, length, energy, and how it counts."""

    start: datetime
    duration_s: int
    wh: int
    # Export channels add to delivered energy; import channels to the site's load.
    exported: bool
    # Whether its quality counts towards a complete hour (estimated ones may not).
    paid: bool


@dataclass
class HourBuckets:
    """Energy and paid seconds per UTC hour start (the aware instant the hour begins)."""

    export_wh: dict[datetime, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    import_wh: dict[datetime, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    paid_s: dict[datetime, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def recorded(self, hour: datetime) -> bool:
        """Return whether any reading put energy (even zero) in this hour."""
        return hour in self.export_wh or hour in self.import_wh

    def net_import_wh(self, hour: datetime) -> Decimal:
        """Return the hour's import minus export (negative while the site exports)."""
        return self.import_wh.get(hour, ZERO) - self.export_wh.get(hour, ZERO)

    def exported_wh(self, hour: datetime) -> Decimal:
        """Return the energy the export channels recorded in the hour."""
        return self.export_wh.get(hour, ZERO)


def hour_floor(instant: datetime) -> datetime:
    """Return the start of the clock hour `instant` falls in (same zone)."""
    return instant.replace(minute=0, second=0, microsecond=0)


def local_midnight(*, day: date, zone: ZoneInfo) -> datetime:
    """Return the aware instant local `day` begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone)


def hours_between(*, start: datetime, end: datetime) -> list[datetime]:
    """Return the hour starts from `start` while before `end`, an hour apart."""
    hours = []
    hour = start
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def local_hour(*, hour: datetime, zone: ZoneInfo) -> int:
    """Return the local hour of day (0-23) an instant falls in, in `zone`."""
    return hour.astimezone(zone).hour


def bucket_by_hour(*, readings: Iterable[Reading]) -> HourBuckets:
    """Return the readings' energy and paid seconds summed per UTC hour.

    Readings start in UTC. One crossing an hour is split between the hours in proportion
    to the seconds it spends in each.
    """
    buckets = HourBuckets()
    for reading in readings:
        end = reading.start + timedelta(seconds=reading.duration_s)
        target = buckets.export_wh if reading.exported else buckets.import_wh
        cursor = reading.start
        while cursor < end:
            hour = hour_floor(cursor)
            piece_end = min(end, hour + HOUR)
            seconds = Decimal((piece_end - cursor).total_seconds())
            target[hour] += Decimal(reading.wh) * seconds / Decimal(reading.duration_s)
            if reading.paid:
                buckets.paid_s[hour] += seconds
            cursor = piece_end
    return buckets


def local_days_touched(*, starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> set[date]:
    """Return the local dates in `zone` that a period `[starts_at, ends_at)` touches."""
    days = set()
    day = starts_at.astimezone(zone).date()
    while local_midnight(day=day, zone=zone) < ends_at:
        days.add(day)
        day += timedelta(days=1)
    return days


def candidate_day(
    *, buckets: HourBuckets, day: date, zone: ZoneInfo, channel_count: int, excluded_reason: str
) -> baselines.CandidateDay:
    """Return one local day's hourly net load and the share of it not paid as measured.

    A fall-back day's repeated local hour is the mean of its two occurrences; a UTC hour with
    no reading has no value. The incomplete share is 1 minus the paid seconds over
    `channel_count` times the day's length, floored at 0.

    The day's length is the elapsed time between its two local midnights: 23 hours on a
    spring-forward day, 25 on a fall-back day, so a complete DST day is complete and the
    fall-back day's extra hour cannot stand in for a missing one.
    """
    start = local_midnight(day=day, zone=zone)
    end = local_midnight(day=day + timedelta(days=1), zone=zone)
    per_hour: dict[int, list[Decimal]] = defaultdict(list)
    paid = ZERO
    for hour in hours_between(start=start.astimezone(UTC), end=end):
        if buckets.recorded(hour):
            per_hour[local_hour(hour=hour, zone=zone)].append(buckets.net_import_wh(hour))
        paid += buckets.paid_s.get(hour, ZERO)
    # Subtracting two aware datetimes of one zone gives wall-clock time (24 h on every day);
    # in UTC it is the elapsed time.
    elapsed_s = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    expected = Decimal(elapsed_s) * channel_count
    return baselines.CandidateDay(
        day=day,
        hourly_wh={h: sum(values, ZERO) / len(values) for h, values in per_hour.items()},
        incomplete_share=max(ZERO, 1 - paid / expected) if expected else Decimal(1),
        excluded_reason=excluded_reason,
    )


def candidate_days(
    *,
    buckets: HourBuckets,
    first: date,
    event_day: date,
    zone: ZoneInfo,
    channel_count: int,
    event_days: set[date],
) -> list[baselines.CandidateDay]:
    """Return the candidate days from `first` up to (not including) `event_day`, oldest first.

    Days in `event_days` are offered excluded as "event day".
    """
    days = []
    day = first
    while day < event_day:
        days.append(
            candidate_day(
                buckets=buckets,
                day=day,
                zone=zone,
                channel_count=channel_count,
                excluded_reason="event day" if day in event_days else "",
            )
        )
        day += timedelta(days=1)
    return days


def first_short_hour(
    *, buckets: HourBuckets, hours: Iterable[datetime], channel_count: int
) -> datetime | None:
    """Return the first hour with fewer paid seconds than its channels' full hour, or None."""
    for hour in hours:
        if buckets.paid_s.get(hour, ZERO) < Decimal(3600 * channel_count):
            return hour
    return None


def net_import_before(
    *, buckets: HourBuckets, event_start: datetime, day: date, zone: ZoneInfo
) -> dict[int, Decimal]:
    """Return the net import of the up to 24 hours before `event_start` on local `day`.

    Keyed by local hour; on a fall-back day the earlier occurrence of the repeated hour wins
    (the hours are read backwards from the event).
    """
    before = (event_start - HOUR * n for n in range(1, 25))
    return {
        local_hour(hour=hour, zone=zone): buckets.net_import_wh(hour)
        for hour in before
        if hour.astimezone(zone).date() == day
    }
