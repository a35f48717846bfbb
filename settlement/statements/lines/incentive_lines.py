"""Statement lines from fixed rewards: availability per month and one-off incentives.

- **Availability** is judged per calendar month, in the period that holds the month's last
  day, under the rule in force that day: a window (local `window_start`-`window_end`, an end
  at or before the start runs past midnight, and the window belongs to the day it starts)
  counts when one of the site's charger channels (EVSE_EXPORT or EVSE_IMPORT) has readings
  of paid quality (actual, edited, derived) covering all of it on an enrolled day. With at
  least `windows_per_month` such windows the month earns `amount`.
- **One-off** (trigger ENROLLMENT) is paid in the period an enrollment starts in, under the
  rule in force on its first day, while the participant has been paid it fewer than
  `max_payments` times in other periods. MILESTONE one-offs are not paid by settlement yet:
  the service records no milestones.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum

from accounts.models import Channel, Enrollment, Program
from settlement.metering.formats import quality as quality_codes
from settlement.metering.models import Reading
from settlement.programs import queries as program_queries
from settlement.programs import rules as program_rules
from settlement.rating import performance
from settlement.rating.local_time import epoch_seconds
from settlement.statements.lines.computation import ZERO_KWH, ComputedLine
from settlement.statements.lines.inputs import SiteEnrollment
from settlement.statements.lines.lineage import Run
from settlement.statements.lines.rule_lines import (
    RuleLines,
    match_key,
    money,
    not_settleable,
    rule_version,
    runs_from_keys,
    stretch_on,
)
from settlement.statements.models import Statement, StatementLine
from settlement.statements.periods import Period

CHARGER_KINDS = ("EVSE_EXPORT", "EVSE_IMPORT")


@dataclass(frozen=True)
class Month:
    """A calendar month judged for availability in this period, and the rule in force."""

    first: date
    following: date
    rule: program_queries.RuleInForce
    parameters: program_rules.AvailabilityRule


@dataclass(frozen=True)
class Coverage:
    """One charger channel's paid-quality readings, in start order (epoch seconds)."""

    channel_id: int
    starts: list[int]
    ends: list[int]
    revisions: list[int]
    durations: list[int]


@dataclass
class IncentiveInputs:
    """What a chunk's availability and one-off lines are computed from."""

    zone: ZoneInfo
    stretches: list[program_queries.RulesInForce]
    months: list[Month]
    chargers: dict[int, list[Coverage]]
    # Each enrollment's own dates (not clipped to the period), by enrollment id.
    enrollment_dates: dict[int, tuple[date, date | None]]
    # How many times each (participant, rule name) one-off was paid in other periods.
    one_offs_paid: dict[tuple[int, str], int]
    fingerprints: dict[int, str]


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months(stretches: list[program_queries.RulesInForce], period: Period) -> list[Month]:
    months = []
    first = period.start.replace(day=1)
    while first < period.end:
        following = _next_month(first)
        last_day = following - timedelta(days=1)
        stretch = stretch_on(stretches, last_day) if period.start <= last_day else None
        rule = stretch.one(program_rules.RuleKind.AVAILABILITY) if stretch else None
        if rule is not None and isinstance(rule.parameters, program_rules.AvailabilityRule):
            months.append(Month(first, following, rule, rule.parameters))
        first = following
    return months


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _span(months: list[Month], zone: ZoneInfo) -> tuple[datetime, datetime]:
    # An overnight window of the month's last day ends the day after.
    return _midnight(months[0].first, zone), _midnight(
        months[-1].following + timedelta(days=1), zone
    )


def _coverage(
    site_ids: list[int],
    months: list[Month],
    zone: ZoneInfo,
    recorded: list[tuple[int, int, int, int, str]] | None,
) -> dict[int, list[Coverage]]:
    if not months:
        return {}
    start, end = _span(months, zone)
    if recorded is not None:
        first, last = epoch_seconds(start), epoch_seconds(end)
        return charger_coverage(
            site_ids,
            (
                (channel_id, seconds, duration, revision)
                for channel_id, seconds, duration, revision, quality in sorted(recorded)
                if first <= seconds < last and quality in quality_codes.PAID
            ),
        )
    rows = (
        Reading.objects.filter(
            channel__site_id__in=site_ids,
            channel__kind__in=CHARGER_KINDS,
            start__gte=start,
            start__lt=end,
            quality__in=quality_codes.PAID,
        )
        .order_by("channel_id", "start")
        .values_list("channel_id", "start", "duration_s", "revision")
    )
    return charger_coverage(
        site_ids,
        (
            (channel_id, epoch_seconds(moment), duration, revision)
            for channel_id, moment, duration, revision in rows
        ),
    )


def charger_coverage(
    site_ids: list[int], readings: Iterable[tuple[int, int, int, int]]
) -> dict[int, list[Coverage]]:
    """Return each site's charger channels with the given paid-quality readings.

    `readings`: (channel id, start epoch s, duration s, revision) in channel and start order;
    the rows of other channels are ignored.
    """
    channels = Channel.objects.filter(site_id__in=site_ids, kind__in=CHARGER_KINDS).order_by(
        "site_id", "kind", "meter_id", "pk"
    )
    found: dict[int, list[Coverage]] = defaultdict(list)
    by_channel: dict[int, Coverage] = {}
    for channel in channels:
        coverage = Coverage(channel.pk, [], [], [], [])
        found[channel.site_id].append(coverage)
        by_channel[channel.pk] = coverage
    for channel_id, seconds, duration, revision in readings:
        judged = by_channel.get(channel_id)
        if judged is None:
            continue
        judged.starts.append(seconds)
        judged.ends.append(seconds + duration)
        judged.durations.append(duration)
        judged.revisions.append(revision)
    return dict(found)


def every_reading(coverage: Coverage) -> list[Run]:
    """Return lineage runs for all of a charger channel's readings that were judged."""
    return _runs(coverage, list(range(len(coverage.starts))))


def _one_offs_paid(program: Program, period: Period, participant_ids: list[int]) -> dict:
    paid: dict[tuple[int, str], int] = defaultdict(int)
    rows = (
        StatementLine.objects.filter(
            Q(kind="ONE_OFF") | Q(adjusts_kind="ONE_OFF"),
            statement__participant_id__in=participant_ids,
            statement__run__program=program,
            statement__state__in=Statement.BOOKED_STATES,
        )
        .exclude(statement__run__period_start=period.start, statement__run__period_end=period.end)
        .values("statement__participant_id", "match_key")
        .annotate(net=Sum("amount"))
    )
    for row in rows:
        if row["net"] > 0:
            name = row["match_key"].split(":")[1]
            paid[(row["statement__participant_id"], name)] += 1
    return dict(paid)


def load(
    *,
    program: Program,
    stretches: list[program_queries.RulesInForce],
    period: Period,
    participant_ids: list[int],
    enrollments: dict[int, list[SiteEnrollment]],
    fingerprints: dict[int, str],
    recorded: list[tuple[int, int, int, int, str]] | None = None,
) -> IncentiveInputs:
    """Return what the chunk's availability and one-off lines need, in a few queries.

    `recorded`: the readings a run recorded, (channel id, start epoch s, duration s,
    revision, quality) at that revision; the charger readings among them are judged instead
    of the current ones when the run is reproduced.
    """
    zone = ZoneInfo(program.timezone)
    months = _months(stretches, period)
    site_ids = sorted({e.site_id for found in enrollments.values() for e in found})
    ids = [e.enrollment_id for found in enrollments.values() for e in found]
    return IncentiveInputs(
        zone=zone,
        stretches=stretches,
        months=months,
        chargers=_coverage(site_ids, months, zone, recorded),
        enrollment_dates={
            pk: (starts, ends)
            for pk, starts, ends in Enrollment.objects.filter(pk__in=ids).values_list(
                "pk", "starts_on", "ends_on"
            )
        },
        one_offs_paid=_one_offs_paid(program, period, participant_ids),
        fingerprints=fingerprints,
    )


def _windows(
    month: Month, enrolled: tuple[date, date | None], zone: ZoneInfo
) -> list[tuple[int, int]]:
    """Return the month's windows on enrolled days as [start, end) epoch seconds."""
    parameters = month.parameters
    first = max(month.first, enrolled[0])
    last = min(month.following, enrolled[1] or month.following)
    windows = []
    day = first
    while day < last:
        start = datetime.combine(day, parameters.window_start, tzinfo=zone)
        end_day = day if parameters.window_end > parameters.window_start else day + timedelta(1)
        end = datetime.combine(end_day, parameters.window_end, tzinfo=zone)
        windows.append((epoch_seconds(start.astimezone(UTC)), epoch_seconds(end.astimezone(UTC))))
        day += timedelta(days=1)
    return windows


def _covering(coverage: Coverage, window: tuple[int, int]) -> list[int] | None:
    """Return the indices of readings covering all of `window`, or None when it is not."""
    start, end = window
    # Readings are in start order and do not overlap, so their ends are in order too.
    first = bisect.bisect_right(coverage.ends, start)
    indices = []
    covered = 0
    index = first
    while index < len(coverage.starts) and coverage.starts[index] < end:
        covered += min(coverage.ends[index], end) - max(coverage.starts[index], start)
        indices.append(index)
        index += 1
    if performance.window_qualifies(covered_s=covered, window_s=end - start):
        return indices
    return None


def _runs(coverage: Coverage, indices: list[int]) -> list[Run]:
    keys = [(coverage.channel_id, coverage.starts[i], coverage.revisions[i]) for i in indices]
    durations = {(coverage.channel_id, coverage.starts[i]): coverage.durations[i] for i in indices}
    return runs_from_keys(keys, durations)


def _availability(
    month: Month, enrollment: SiteEnrollment, inputs: IncentiveInputs, prefix: str, currency: str
) -> ComputedLine:
    rule, parameters = month.rule, month.parameters
    version = rule_version(rule_id=rule.rule_id, version=rule.version)
    span = f"{parameters.window_start:%H:%M}-{parameters.window_end:%H:%M}"
    month_name = f"{month.first:%B %Y}"
    chargers = inputs.chargers.get(enrollment.site_id, [])
    if not chargers:
        reason = (
            f"site {enrollment.site_label} has no charger channel to show when it was plugged in"
        )
        return not_settleable(
            f"availability:{month.first:%Y-%m}:site{enrollment.site_id}",
            f"{prefix}availability in {month_name}",
            reason,
            rule_version=version,
        )
    windows = _windows(month, inputs.enrollment_dates[enrollment.enrollment_id], inputs.zone)
    lineage: list[Run] = []
    qualifying = 0
    for window in windows:
        for coverage in chargers:
            indices = _covering(coverage, window)
            if indices is not None:
                qualifying += 1
                lineage.extend(_runs(coverage, indices))
                break
    amount = performance.availability_amount(
        qualifying_windows=qualifying,
        windows_per_month=parameters.windows_per_month,
        amount=parameters.amount,
    )
    reward = money(parameters.amount, currency=currency)
    outcome = (
        f"earns the {reward} reward"
        if amount
        else f"{parameters.windows_per_month} needed for the {reward} reward"
    )
    return ComputedLine(
        kind="AVAILABILITY",
        label=(
            f"{prefix}Plugged in for {qualifying} of {len(windows)} windows {span} "
            f"in {month_name}: {outcome}"
        ),
        match_key=match_key(
            "AVAILABILITY",
            rule.name,
            inputs.fingerprints[rule.rule_id],
            f"{month.first:%Y-%m}",
            f"site{enrollment.site_id}",
        ),
        kwh=ZERO_KWH,
        price=None,
        amount=amount,
        rule_version=version,
        lineage=lineage,
        detail={
            "windows": len(windows),
            "qualifying_windows": qualifying,
            "windows_per_month": parameters.windows_per_month,
        },
    )


def _one_offs(
    *,
    participant_id: int,
    enrollment: SiteEnrollment,
    inputs: IncentiveInputs,
    period: Period,
    prefix: str,
    paid_now: dict[str, int],
    result: RuleLines,
) -> None:
    starts_on = inputs.enrollment_dates[enrollment.enrollment_id][0]
    if not period.start <= starts_on < period.end:
        return
    stretch = stretch_on(inputs.stretches, starts_on)
    if stretch is None:
        return
    for rule in stretch.of_kind(program_rules.RuleKind.ONE_OFF):
        parameters = rule.parameters
        if not isinstance(parameters, program_rules.OneOffRule):
            continue
        if parameters.trigger is not program_rules.OneOffTrigger.ENROLLMENT:
            continue
        made = inputs.one_offs_paid.get((participant_id, rule.name), 0) + paid_now[rule.name]
        amount = performance.one_off_amount(
            payments_made=made, max_payments=parameters.max_payments, amount=parameters.amount
        )
        paid_now[rule.name] += 1 if amount else 0
        when = f"{starts_on.day} {starts_on:%b %Y}"
        label = f"{prefix}One-off incentive for enrolling on {when}"
        if not amount:
            times = "once" if parameters.max_payments == 1 else f"{parameters.max_payments} times"
            label += f": already paid {times}, the most this incentive pays"
        result.add(
            ComputedLine(
                kind="ONE_OFF",
                label=label,
                match_key=match_key(
                    "ONE_OFF",
                    rule.name,
                    inputs.fingerprints[rule.rule_id],
                    f"site{enrollment.site_id}",
                    starts_on.isoformat(),
                ),
                kwh=ZERO_KWH,
                price=None,
                amount=amount,
                rule_version=rule_version(rule_id=rule.rule_id, version=rule.version),
                detail={
                    "enrollment_id": enrollment.enrollment_id,
                    "starts_on": starts_on.isoformat(),
                    "payments_before": made,
                    "max_payments": parameters.max_payments,
                },
            ),
            rule_set_id=rule.rule_set_id,
        )


def lines_for(
    *,
    participant_id: int,
    enrollments: list[SiteEnrollment],
    inputs: IncentiveInputs,
    period: Period,
    currency: str,
) -> RuleLines:
    """Return the participant's availability lines (per month, per site), then one-offs.

    Labels write amounts in `currency` (the program's).
    """
    result = RuleLines()
    many_sites = len(enrollments) > 1
    judged: set[int] = set()
    for month in inputs.months:
        for enrollment in enrollments:
            dates = inputs.enrollment_dates[enrollment.enrollment_id]
            if dates[0] >= month.following or (dates[1] is not None and dates[1] <= month.first):
                continue
            prefix = f"{enrollment.site_label}: " if many_sites else ""
            line = _availability(month, enrollment, inputs, prefix, currency)
            result.add(line, rule_set_id=month.rule.rule_set_id)
            if enrollment.site_id not in judged:
                # Every charger reading judged is recorded, not only the covering ones: a
                # reproduction must see the same gaps as well as the same coverage.
                judged.add(enrollment.site_id)
                for coverage in inputs.chargers.get(enrollment.site_id, []):
                    result.readings.extend(every_reading(coverage))
    paid_now: dict[str, int] = defaultdict(int)
    for enrollment in enrollments:
        prefix = f"{enrollment.site_label}: " if many_sites else ""
        _one_offs(
            participant_id=participant_id,
            enrollment=enrollment,
            inputs=inputs,
            period=period,
            prefix=prefix,
            paid_now=paid_now,
            result=result,
        )
    return result
