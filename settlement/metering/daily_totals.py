"""Keep `DailyTotal`: each channel's energy and reading qualities per local day.

`refresh` recomputes the days a set of readings touched from the readings themselves (never
by adding deltas), so a revision, a duplicate or a rerun leaves the same rows; ingestion
calls it in the transaction that seals an upload, on whichever connection merged the file.
`rebuild` recomputes every day of the channels it is given (the `rebuild_daily_totals`
command). Both group channels that share a zone and a span into one aggregate query.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate

from accounts import channel_kinds
from accounts.models import Channel
from settlement.metering.formats.quality import Quality
from settlement.metering.models import DailyTotal, Reading

# Values a person may rely on less than a meter's own measurement.
ESTIMATED_QUALITIES = (Quality.ESTIMATED, Quality.EDITED, Quality.DERIVED, Quality.FORECAST)
# Rows written per INSERT, so a decade of a thousand channels stays within memory.
BATCH = 5000


@dataclass(frozen=True)
class Span:
    """The instants [start, end) whose readings changed on one channel."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Refreshed:
    """How many channels and day rows a refresh or rebuild wrote."""

    channels: int
    days: int


def _local_days(span: Span, zone: ZoneInfo) -> tuple[dt.date, dt.date]:
    """Return the first and last local day (inclusive) that `span` touches."""
    last_instant = span.end - dt.timedelta(microseconds=1)
    return span.start.astimezone(zone).date(), last_instant.astimezone(zone).date()


def _recompute(
    *, channel_ids: list[int], export: set[int], zone: ZoneInfo, first: dt.date, last: dt.date
) -> int:
    """Replace the rows of `channel_ids` for local days [first, last]; return rows written."""
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    DailyTotal.objects.filter(channel_id__in=channel_ids, day__gte=first, day__lte=last).delete()
    grouped = (
        Reading.objects.filter(channel_id__in=channel_ids, start__gte=start, start__lt=end)
        .annotate(local_day=TruncDate("start", tzinfo=zone))
        .values("channel_id", "local_day")
        .annotate(
            wh=Sum("wh"),
            readings=Count("pk"),
            actual=Count("pk", filter=Q(quality=str(Quality.ACTUAL))),
            estimated=Count("pk", filter=Q(quality__in=[str(q) for q in ESTIMATED_QUALITIES])),
            missing=Count("pk", filter=Q(quality=str(Quality.MISSING))),
            revised=Count("pk", filter=Q(revision__gt=1)),
        )
        .order_by()
    )
    rows = (
        DailyTotal(
            channel_id=row["channel_id"],
            day=row["local_day"],
            export_wh=row["wh"] if row["channel_id"] in export else 0,
            import_wh=0 if row["channel_id"] in export else row["wh"],
            readings=row["readings"],
            actual=row["actual"],
            estimated=row["estimated"],
            missing=row["missing"],
            revised=row["revised"],
        )
        for row in grouped.iterator(chunk_size=BATCH)
    )
    return len(DailyTotal.objects.bulk_create(rows, batch_size=BATCH))


def _channel_facts(channel_ids: Iterable[int]) -> tuple[dict[int, str], set[int]]:
    """Return each channel's zone (its site's) and the set of export channels."""
    zones: dict[int, str] = {}
    export: set[int] = set()
    for pk, zone, kind in Channel.objects.filter(pk__in=list(channel_ids)).values_list(
        "pk", "site__timezone", "kind"
    ):
        zones[pk] = zone
        if kind in channel_kinds.EXPORT_KINDS:
            export.add(pk)
    return zones, export


def refresh(*, spans: Mapping[int, Span]) -> Refreshed:
    """Recompute the daily totals of every local day each channel's span touches.

    `spans` maps channel ids to the instants whose readings were written; the caller's
    transaction holds the rows and their totals together.
    """
    if not spans:
        return Refreshed(channels=0, days=0)
    zones, export = _channel_facts(spans)
    groups: dict[tuple[str, dt.date, dt.date], list[int]] = defaultdict(list)
    for channel_id, span in spans.items():
        zone = zones[channel_id]
        first, last = _local_days(span, ZoneInfo(zone))
        groups[(zone, first, last)].append(channel_id)
    days = 0
    with transaction.atomic():
        for (zone, first, last), channel_ids in sorted(groups.items()):
            days += _recompute(
                channel_ids=sorted(channel_ids),
                export=export,
                zone=ZoneInfo(zone),
                first=first,
                last=last,
            )
    return Refreshed(channels=len(spans), days=days)


def rebuild(*, channel_ids: list[int] | None = None) -> Refreshed:
    """Recompute every day of `channel_ids` (all channels when None) from their readings."""
    readings = Reading.objects.all()
    if channel_ids is not None:
        readings = readings.filter(channel_id__in=channel_ids)
    # One pass over the (channel, start) index for each channel's first and last instant.
    bounds = (
        readings.values("channel_id")
        .annotate(first=Min("start"), last=Max("start"))
        .order_by("channel_id")
    )
    spans = {
        row["channel_id"]: Span(row["first"], row["last"] + dt.timedelta(days=1)) for row in bounds
    }
    stale = DailyTotal.objects.all()
    if channel_ids is not None:
        stale = stale.filter(channel_id__in=channel_ids)
    with transaction.atomic():
        # Days outside every span (a channel with no reading left) would survive a refresh.
        stale.delete()
        return refresh(spans=spans)
