"""Baselines: what a participant's net load would have been in event hours without the event.

Pure: days and hourly values in, a baseline with every input it used out. Net load is
import - export per hour in Wh (export makes it negative), keyed by the local hour of day
(0-23) it starts in. A fall-back day's repeated hour is one key holding the mean of its two
occurrences, so it compares with the same hour of an ordinary day; a spring-forward day has
no key for its skipped hour.

Methods (DOMAIN.md section 2):
- X_OF_Y: the mean of the same hours on the Y most recent eligible days of the event's pool;
- TOP_N_OF_M: the mean of the N days with the highest load over the event hours among the
  M most recent eligible days (ties: the more recent day first).
Weekdays and weekend/holiday days are separate pools. A day is not eligible when it is marked
excluded (an event day, an outage day), when too large a share of its data is missing or
estimated, or when it lacks one of the hours asked for. Fewer eligible days than the pool's
minimum makes the baseline not settleable, with the reason.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from settlement.rating.tariff import DayType


class Method(StrEnum):
    """How the baseline days are chosen and combined."""

    X_OF_Y = "X_OF_Y"
    TOP_N_OF_M = "TOP_N_OF_M"


@dataclass(frozen=True)
class PoolRule:
    """Use `days` of the `of_days` most recent eligible days; fewer than `min_days`: invalid."""

    days: int
    of_days: int
    min_days: int


@dataclass(frozen=True)
class BaselineMethod:
    """A program's baseline method, one pool rule per day type."""

    method: Method
    weekday: PoolRule
    weekend_holiday: PoolRule
    # A day with more than this share of its intervals missing or estimated is skipped.
    max_incomplete_share: Decimal = Decimal("0.10")
    # How many calendar days before the event are searched for eligible days.
    lookback_days: int = 45

    def pool(self, day_type: DayType) -> PoolRule:
        """Return the pool rule of `day_type`."""
        return self.weekday if day_type is DayType.WEEKDAY else self.weekend_holiday


@dataclass(frozen=True)
class AdjustmentBounds:
    """Day-of adjustment over `hours_before` hours ending `skip_hours` before the event,
    bounded to [min_factor, max_factor] (ELRP: 1.00 to 1.40)."""

    hours_before: int
    skip_hours: int
    min_factor: Decimal
    max_factor: Decimal


@dataclass(frozen=True)
class CandidateDay:
    """One past local day offered to the baseline: its hourly net load and data quality."""

    day: date
    hourly_wh: Mapping[int, Decimal]
    # Share (0-1) of the day's expected intervals that are missing or estimated.
    incomplete_share: Decimal = Decimal(0)
    # Why the day may not be used whatever its data ("event day", "outage day"), or "".
    excluded_reason: str = ""


@dataclass(frozen=True)
class SkippedDay:
    """A day of the event's pool that was looked at and not used, and why."""

    day: date
    reason: str


@dataclass(frozen=True)
class Baseline:
    """The baseline per local hour, and the inputs it came from."""

    event_day: date
    day_type: DayType
    method: Method
    hours: tuple[int, ...]
    hourly_wh: Mapping[int, Decimal]
    used_days: tuple[date, ...]
    skipped_days: tuple[SkippedDay, ...]
    settleable: bool
    reason: str


@dataclass(frozen=True)
class Adjustment:
    """The day-of factor applied to a baseline and what it was computed from."""

    hours: tuple[int, ...]
    actual_wh: Decimal
    baseline_wh: Decimal
    # actual / baseline before bounding; None when the baseline over the hours is not positive.
    ratio: Decimal | None
    factor: Decimal


def day_type_of(day: date, holidays: frozenset[date]) -> DayType:
    """Return WEEKEND_HOLIDAY for Saturdays, Sundays and `holidays`, else WEEKDAY."""
    if day.weekday() >= 5 or day in holidays:
        return DayType.WEEKEND_HOLIDAY
    return DayType.WEEKDAY


def net_load_wh(import_wh: int, export_wh: int) -> int:
    """Return net load in Wh: import - export (an exporting hour is negative)."""
    return import_wh - export_wh


def hourly_net_load(import_wh: Mapping[int, int], export_wh: Mapping[int, int]) -> dict[int, int]:
    """Return import - export per hour key; an hour missing on one channel counts as 0 there."""
    return {
        hour: import_wh.get(hour, 0) - export_wh.get(hour, 0)
        for hour in sorted(set(import_wh) | set(export_wh))
    }


def _skip_reason(day: CandidateDay, hours: Sequence[int], max_share: Decimal) -> str:
    if day.excluded_reason:
        return day.excluded_reason
    if day.incomplete_share > max_share:
        return (
            f"{day.incomplete_share * 100:.0f}% of its data missing or estimated "
            f"(more than {max_share * 100:.0f}%)"
        )
    missing = [hour for hour in hours if hour not in day.hourly_wh]
    if missing:
        return f"no data for hour {missing[0]:02d}:00"
    return ""


def _selected(
    eligible: list[CandidateDay], method: Method, days: int, hours: Sequence[int]
) -> list[CandidateDay]:
    if method is Method.X_OF_Y:
        return eligible
    # Highest load over the event hours first; `eligible` is newest first, and sorted() is
    # stable, so of two equal days the more recent wins.
    ranked = sorted(eligible, key=lambda day: sum(day.hourly_wh[h] for h in hours), reverse=True)
    return ranked[:days]


def compute_baseline(
    *,
    event_day: date,
    hours: Sequence[int],
    candidates: Sequence[CandidateDay],
    method: BaselineMethod,
    holidays: frozenset[date] = frozenset(),
) -> Baseline:
    """Return the baseline of local `hours` on `event_day` from earlier `candidates`.

    Candidates after the event day, or of the other day type, are ignored; the others are
    looked at newest first until the pool has `of_days` eligible days.
    """
    day_type = day_type_of(event_day, holidays)
    pool = method.pool(day_type)
    eligible: list[CandidateDay] = []
    skipped: list[SkippedDay] = []
    earlier = sorted(
        (c for c in candidates if c.day < event_day and day_type_of(c.day, holidays) == day_type),
        key=lambda c: c.day,
        reverse=True,
    )
    for candidate in earlier:
        if len(eligible) == pool.of_days:
            break
        reason = _skip_reason(candidate, hours, method.max_incomplete_share)
        if reason:
            skipped.append(SkippedDay(candidate.day, reason))
        else:
            eligible.append(candidate)
    if len(eligible) < pool.min_days:
        label = "weekday" if day_type is DayType.WEEKDAY else "weekend/holiday"
        return Baseline(
            event_day=event_day,
            day_type=day_type,
            method=method.method,
            hours=tuple(hours),
            hourly_wh={},
            used_days=tuple(sorted(day.day for day in eligible)),
            skipped_days=tuple(skipped),
            settleable=False,
            reason=(
                f"only {len(eligible)} eligible {label} baseline days, {pool.min_days} required"
            ),
        )
    chosen = _selected(eligible, method.method, pool.days, hours)
    count = Decimal(len(chosen))
    hourly = {
        hour: sum((day.hourly_wh[hour] for day in chosen), Decimal(0)) / count for hour in hours
    }
    return Baseline(
        event_day=event_day,
        day_type=day_type,
        method=method.method,
        hours=tuple(hours),
        hourly_wh=hourly,
        used_days=tuple(sorted(day.day for day in chosen)),
        skipped_days=tuple(skipped),
        settleable=True,
        reason="",
    )


def adjustment_hours(*, first_event_hour: int, bounds: AdjustmentBounds) -> tuple[int, ...]:
    """Return the local hours the day-of adjustment compares, oldest first.

    They are the `hours_before` hours ending `skip_hours` before the event's first hour
    (hours before midnight wrap to the previous day's numbering and are not supported, so
    they are dropped).
    """
    last = first_event_hour - bounds.skip_hours - 1
    return tuple(hour for hour in range(last - bounds.hours_before + 1, last + 1) if hour >= 0)


def day_of_adjustment(
    *,
    baseline_wh: Mapping[int, Decimal],
    actual_wh: Mapping[int, Decimal],
    hours: Sequence[int],
    bounds: AdjustmentBounds,
) -> Adjustment:
    """Return the factor actual / baseline over `hours`, bounded to the rule's range.

    When the baseline over those hours is zero or negative (a participant exporting before
    the event) the ratio has no meaning: the factor is 1 bounded to the range.
    """
    actual = sum((Decimal(actual_wh[hour]) for hour in hours), Decimal(0))
    base = sum((Decimal(baseline_wh[hour]) for hour in hours), Decimal(0))
    ratio = actual / base if base > 0 else None
    raw = ratio if ratio is not None else Decimal(1)
    factor = min(max(raw, bounds.min_factor), bounds.max_factor)
    return Adjustment(
        hours=tuple(hours), actual_wh=actual, baseline_wh=base, ratio=ratio, factor=factor
    )


def adjusted(baseline: Mapping[int, Decimal], factor: Decimal) -> dict[int, Decimal]:
    """Return every hour of `baseline` multiplied by `factor`.

    The factor scales load: a negative (exporting) baseline hour gets more negative.
    """
    return {hour: value * factor for hour, value in baseline.items()}
