"""Validation, estimation and editing (VEE) of parsed readings, one reading at a time.

Every check runs here, in Python, for both storage paths (portable and PostgreSQL COPY), so
the two can only differ in how rows are stored, never in which rows are accepted. Memory is
bounded by the number of channels in a file, not by its length: the sequence checks compare
each reading with the previous accepted reading of its channel only, which is exact because
a reading that starts before that one is rejected as out of order.
"""

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from accounts.channel_kinds import EVSE_KINDS
from settlement.metering.formats.base import MAX_METER_ID_CHARS, Flow, ParsedReading
from settlement.metering.formats.quality import Quality
from settlement.rating.intervals import MAX_DURATION_S

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """What validation needs to know about a channel."""

    channel_id: int
    meter_id: str
    kind: str
    # The physical bound: the charger's max kW on a sub-meter, the site's service capacity
    # on a revenue meter (None: unbounded, for callers that know no bound).
    max_kw: Decimal | None
    # Half-open [start, end) UTC windows of the site's enrollments (end None: open).
    enrolled: tuple[tuple[datetime, datetime | None], ...]
    # Longest gap (seconds) to estimate by interpolation; 0 turns estimation off.
    interpolate_up_to_s: int
    # The site's zone: intervals are aligned to its local hours (a half-hour zone's hours
    # start at :30 UTC).
    zone: ZoneInfo


# A named tuple rather than a frozen dataclass: one is built per reading on the
# million-row path, and a tuple is several times cheaper to construct.
class Accepted(NamedTuple):
    """A reading that passed every check, bound to its channel; `end` is exclusive."""

    channel_id: int
    start: datetime
    end: datetime
    duration_s: int
    wh: int
    quality: str
    location: str
    # True for a value estimated here by interpolation: it never replaces a stored value.
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """A rejected reading or a reported gap, with where it is and why.

    `start` is the refused interval's start (aware UTC), or the first missing instant of a
    gap; None where no interval is known (a row that could not be read).
    """

    kind: str  # "REJECTED" or "GAP"
    location: str
    field: str
    reason: str
    start: datetime | None = None


# Resolve a (meter id, flow) to its channel, or return why it cannot be stored.
Resolver = Callable[[str, Flow], "ChannelFacts | str"]


class Validator:
    """Check parsed readings against the rules of DOMAIN.md section 6, in file order."""

    def __init__(self, *, resolve: Resolver, now: datetime) -> None:
        self._resolve = resolve
        self._now = now
        self._channels: dict[tuple[str, Flow], ChannelFacts | str] = {}
        self._previous: dict[int, Accepted] = {}

    def check_row(self, readings: list[ParsedReading]) -> tuple[Accepted | Problem, ...]:
        """Return the outcomes of the readings of one source row, accepted or refused whole.

        When any reading of the row is refused, every other one is refused with it (a
        problem each, "not stored: ... refused"), and the row leaves no trace in the
        sequence checks, gaps or estimates: docs/formats.md, "What happens to the rest of
        a row".
        """
        if len(readings) == 1:
            return self.check(readings[0])
        before = dict(self._previous)
        outcomes: list[tuple[ParsedReading, tuple[Accepted | Problem, ...]]] = [
            (reading, self.check(reading)) for reading in readings
        ]
        refusals = [(reading, _refusals(checked)) for reading, checked in outcomes]
        first = next(((r, p[0]) for r, p in refusals if p), None)
        if first is None:
            return tuple(outcome for _, checked in outcomes for outcome in checked)
        self._previous = before
        because = f"its {first[0].flow.lower()} reading was refused ({first[1].field})"
        return tuple(
            problem
            for reading, problems in refusals
            for problem in (problems or [refused_with_row(reading, because=because)])
        )

    def check(self, reading: ParsedReading) -> tuple[Accepted | Problem, ...]:
        """Return the accepted reading (after any interpolated ones) or its problem.

        A tuple rather than a generator: this runs once per reading of every file.
        """
        facts_or_reason = self._channel(reading)
        if isinstance(facts_or_reason, Problem):
            return (facts_or_reason,)
        facts = facts_or_reason
        start, duration_s = reading.start, reading.duration_s
        if duration_s > MAX_DURATION_S:
            too_long = f"duration {duration_s} s is longer than {MAX_DURATION_S} s (31 days)"
            return (Problem("REJECTED", reading.source, "duration", too_long, start),)
        try:
            end = start + _seconds(duration_s)
        except OverflowError:
            late = "the interval ends after year 9999"
            return (Problem("REJECTED", reading.source, "start", late, start),)
        reason = _row_rules(start, end, duration_s, reading.wh, facts=facts, now=self._now)
        if reason is not None:
            return (Problem("REJECTED", reading.source, reason[0], reason[1], start),)
        accepted = Accepted(
            facts.channel_id,
            start,
            end,
            duration_s,
            reading.wh,
            str(reading.quality),
            reading.source,
        )
        previous = self._previous.get(facts.channel_id)
        if previous is not None and start < previous.end:
            sequence = _sequence_problem(accepted, previous)
            return (Problem("REJECTED", reading.source, "start", sequence, start),)
        self._previous[facts.channel_id] = accepted
        if previous is None or start == previous.end:
            return (accepted,)
        return (*self._gap(previous, accepted, facts), accepted)

    def _channel(self, reading: ParsedReading) -> ChannelFacts | Problem:
        if reading.flow not in (Flow.EXPORT, Flow.IMPORT):
            return Problem(
                "REJECTED",
                reading.source,
                "flow",
                f"{reading.flow} readings are not stored: channels are export or import only",
                reading.start,
            )
        if reading.meter_id is None:
            return Problem(
                "REJECTED",
                reading.source,
                "meter_id",
                "the file does not name the meter; give the meter id with the upload",
                reading.start,
            )
        if len(reading.meter_id) > MAX_METER_ID_CHARS:
            # Say what is wrong with it, not that no such meter exists (none can).
            return Problem(
                "REJECTED",
                reading.source,
                "meter_id",
                f"the meter id has {len(reading.meter_id)} characters, more than the "
                f"{MAX_METER_ID_CHARS} a meter id can have",
                reading.start,
            )
        key = (reading.meter_id, reading.flow)
        if key not in self._channels:
            self._channels[key] = self._resolve(reading.meter_id, reading.flow)
        facts = self._channels[key]
        if isinstance(facts, str):
            return Problem("REJECTED", reading.source, "meter_id", facts, reading.start)
        return facts

    def _gap(
        self, previous: Accepted, current: Accepted, facts: ChannelFacts
    ) -> Iterator[Accepted | Problem]:
        gap_s = int((current.start - previous.end).total_seconds())
        estimates = interpolate(previous, current, up_to_s=facts.interpolate_up_to_s)
        estimates = [e for e in estimates if row_problem_of(e, facts=facts, now=self._now) is None]
        how = f"; {len(estimates)} intervals estimated by linear interpolation" if estimates else ""
        yield Problem(
            "GAP",
            f"{facts.meter_id}/{facts.kind}",
            "start",
            f"no data from {previous.end.isoformat()} to {current.start.isoformat()} "
            f"({gap_s} s) between {previous.location} and {current.location}{how}",
            previous.end,
        )
        yield from estimates


def refused_with_row(reading: ParsedReading, *, because: str) -> Problem:
    """Return the problem of a reading refused because another part of its row was."""
    return Problem(
        "REJECTED",
        reading.source,
        "row",
        f"{reading.flow.lower()} reading not stored with its row: {because}",
        reading.start,
    )


def _refusals(outcomes: tuple[Accepted | Problem, ...]) -> list[Problem]:
    return [o for o in outcomes if isinstance(o, Problem) and o.kind == "REJECTED"]


def row_problem_of(
    accepted: Accepted, *, facts: ChannelFacts, now: datetime
) -> tuple[str, str] | None:
    """Return (field, reason) for the first rule an estimated reading breaks, or None."""
    return _row_rules(
        accepted.start, accepted.end, accepted.duration_s, accepted.wh, facts=facts, now=now
    )


@functools.lru_cache(maxsize=64)
def _seconds(duration_s: int) -> timedelta:
    # Files use a handful of interval lengths; reuse their timedeltas (hot path).
    return timedelta(seconds=duration_s)


def is_aligned(start: datetime, duration_s: int, zone: ZoneInfo) -> bool:
    """Return whether `start` begins an interval of `duration_s` on the site's local clock.

    An interval of up to an hour must start a whole number of its lengths after a local hour
    start; a longer one on a local hour start. Local, not UTC: in America/St_Johns (UTC-3:30)
    hourly data starts at :30 UTC.
    """
    local = start.astimezone(zone)
    if local.microsecond:
        # A fraction of a second is never on an interval boundary (counting it as a whole
        # second put 17:14:59.5 on the quarter hour).
        return False
    into_hour = local.minute * 60 + local.second
    return into_hour % min(duration_s, SECONDS_PER_HOUR) == 0


def _row_rules(
    start: datetime,
    end: datetime,
    duration_s: int,
    wh: int,
    *,
    facts: ChannelFacts,
    now: datetime,
) -> tuple[str, str] | None:
    if duration_s <= 0:
        return "duration", f"duration {duration_s} s is not positive"
    if not is_aligned(start, duration_s, facts.zone):
        return "start", (
            f"start {start.isoformat()} is not aligned to its {duration_s} s interval "
            f"(counted from the local hour in {facts.zone.key})"
        )
    if wh < 0:
        return "wh", f"negative energy {wh} Wh on directional channel {facts.kind}"
    # kW x s / 3.6 = Wh; compared multiplied out so no rounding is involved.
    if facts.max_kw is not None and Decimal(wh) * 3600 > facts.max_kw * 1000 * duration_s:
        limit = facts.max_kw * duration_s / Decimal("3.6")
        what = (
            "the charger can deliver"
            if facts.kind in EVSE_KINDS
            else "the site's service capacity allows"
        )
        return "wh", (
            f"{wh} Wh in {duration_s} s is more than {what} "
            f"({facts.max_kw} kW x {duration_s} s = {limit.quantize(Decimal('0.001'))} Wh)"
        )
    if end > now:
        return "start", f"interval ending {end.isoformat()} is in the future"
    if not any(
        window_start <= start and (window_end is None or end <= window_end)
        for window_start, window_end in facts.enrolled
    ):
        return "start", (
            f"interval {start.isoformat()} is outside every enrollment of the site "
            f"({_enrolled_dates(facts)})"
        )
    return None


def _enrolled_dates(facts: ChannelFacts) -> str:
    """Return the site's enrollments as local dates, so a refused row says what would do."""
    if not facts.enrolled:
        return "not enrolled"
    spans = [
        f"from {start.astimezone(facts.zone).date().isoformat()}"
        + ("" if end is None else f" until {end.astimezone(facts.zone).date().isoformat()}")
        for start, end in facts.enrolled
    ]
    return "enrolled " + ", ".join(spans)


def _sequence_problem(current: Accepted, previous: Accepted) -> str:
    """Return why `current`, starting before `previous` ends, cannot follow it."""
    if current.start > previous.start:
        return f"overlaps the interval at {previous.location} (ends {previous.end.isoformat()})"
    if current.start < previous.start:
        return (
            f"out of order: starts before the interval at {previous.location} "
            f"({previous.start.isoformat()}) of the same channel"
        )
    return f"duplicate of the interval at {previous.location}"


def interpolate(previous: Accepted, current: Accepted, *, up_to_s: int) -> list[Accepted]:
    """Return the readings that fill the gap between two, linearly, or none.

    Only a gap of at most `up_to_s` seconds between readings of the same length, a whole
    number of intervals long, is filled; values are rounded half up to whole Wh. A limit of 0
    fills nothing, and neither does a gap that is not positive (it holds no whole interval).
    """
    gap_s = int((current.start - previous.end).total_seconds())
    duration = previous.duration_s
    if gap_s > up_to_s or duration != current.duration_s or gap_s % duration:
        return []
    count = gap_s // duration
    steps = count + 1
    estimates = []
    for k in range(1, count + 1):
        numerator = previous.wh * (steps - k) + current.wh * k
        wh = (2 * numerator + steps) // (2 * steps)
        estimates.append(
            Accepted(
                previous.channel_id,
                previous.end + timedelta(seconds=(k - 1) * duration),
                previous.end + timedelta(seconds=k * duration),
                duration,
                wh,
                str(Quality.ESTIMATED),
                f"interpolated between {previous.location} and {current.location}",
                estimated=True,
            )
        )
    return estimates
