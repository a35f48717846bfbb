"""Reads behind a statement line: its readings by natural key, at the revision it used,
and the participant's daily exports over the period (for the review chart)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from accounts.models import Channel
from settlement.metering.models import Reading, ReadingRevision
from settlement.statements.lines import lineage
from settlement.statements.models import Statement, StatementLine

MAX_INTERVALS = 3000
EXPORT_KINDS = ("SITE_EXPORT", "EVSE_EXPORT")


@dataclass(frozen=True)
class LineInterval:
    """One reading a line was computed from, as it was at the revision the run used."""

    channel: str
    start_utc: datetime
    local_start: datetime
    duration_s: int
    revision: int
    wh: int | None
    quality: str
    current: bool

    @property
    def local_label(self) -> str:
        """Return the local start as a person reads it: "2025-07-01 16:00 PDT"."""
        return self.local_start.strftime("%Y-%m-%d %H:%M %Z")


def line_interval_count(*, line: StatementLine) -> int:
    """Return how many readings are behind `line` (its lineage names each one)."""
    return sum(1 for _ in lineage.expand(line.lineage))


def line_total_wh(*, line: StatementLine, time_zone: str) -> int:
    """Return the Wh of every reading behind `line`, at the revisions the run used.

    Reads them all (three queries, at most MAX_INTERVALS rows) so that a paginated page
    still states the whole line's energy.
    """
    return sum(interval.wh or 0 for interval in line_intervals(line=line, time_zone=time_zone))


def line_intervals(
    *, line: StatementLine, time_zone: str, first: int = 0, count: int = MAX_INTERVALS
) -> list[LineInterval]:
    """Return `count` readings behind `line` from the `first`, in channel and time order.

    A page of them costs three queries whatever the line's size. A reading revised since
    the run shows the value of the revision the run used (from the revision history) and
    is marked not current.
    """
    keys = list(islice(lineage.expand(line.lineage), first, first + min(count, MAX_INTERVALS)))
    if not keys:
        return []
    zone = ZoneInfo(time_zone)
    channel_ids = sorted({key[0] for key in keys})
    labels = {
        channel.pk: f"{channel.meter_id}/{channel.kind}"
        for channel in Channel.objects.filter(pk__in=channel_ids)
    }
    starts = [datetime.fromtimestamp(key[1], tz=UTC) for key in keys]
    readings = {
        (reading.channel_id, reading.start): reading
        for reading in Reading.objects.filter(
            channel_id__in=channel_ids, start__gte=min(starts), start__lte=max(starts)
        )
    }
    old = {
        (revision.reading_id, revision.revision): revision
        for revision in ReadingRevision.objects.filter(
            reading__in=[reading.pk for reading in readings.values()]
        )
    }
    found = []
    for (channel_id, _, duration, revision), start in zip(keys, starts, strict=True):
        reading = readings.get((channel_id, start))
        value, quality, current = None, "UNKNOWN", False
        if reading is not None and reading.revision == revision:
            value, quality, current = reading.wh, reading.quality, True
        elif reading is not None and (reading.pk, revision) in old:
            superseded = old[(reading.pk, revision)]
            value, quality = superseded.wh, superseded.quality
        found.append(
            LineInterval(
                channel=labels.get(channel_id, str(channel_id)),
                start_utc=start,
                local_start=start.astimezone(zone),
                duration_s=duration,
                revision=revision,
                wh=value,
                quality=quality,
                current=current,
            )
        )
    return found


def daily_exports(*, statement: Statement) -> list[tuple[date, int]]:
    """Return (local date, Wh) for each day of the period: the participant's current exports
    on the channels its statement lines name."""
    run = statement.run
    zone = ZoneInfo(run.program.timezone)
    channel_ids = sorted(
        {run_[0] for runs in statement.lines.values_list("lineage", flat=True) for run_ in runs}
    )
    start = datetime.combine(run.period_start, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(run.period_end, datetime.min.time(), tzinfo=zone)
    per_day: dict[date, int] = defaultdict(int)
    # Event lines name the import channel too (net load); the chart is of exports only.
    for moment, wh in Reading.objects.filter(
        channel_id__in=channel_ids,
        channel__kind__in=EXPORT_KINDS,
        start__gte=start,
        start__lt=end,
    ).values_list("start", "wh"):
        per_day[moment.astimezone(zone).date()] += wh
    days = (run.period_end - run.period_start).days
    return [
        (
            run.period_start + timedelta(days=offset),
            per_day.get(run.period_start + timedelta(days=offset), 0),
        )
        for offset in range(days)
    ]
