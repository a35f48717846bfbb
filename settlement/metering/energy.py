"""Reads for an owner's "My energy" page: daily and monthly kWh per channel, with quality.

Two grouped queries of the daily totals (`daily_totals`) for the whole page whatever the
number of readings: one by channel and local day (the last `DAYS` days), one by channel and
local month (the last `MONTHS` months). Each row carries how much of it was measured,
estimated or missing, and how many of its readings were revised, so an owner sees what
their statement was computed from.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts import queries as account_queries
from accounts.models import Channel, Site, User
from settlement.metering.models import DailyTotal

DAYS = 14
MONTHS = 12
WH_PER_KWH = Decimal(1000)


@dataclass(frozen=True)
class EnergyRow:
    """One channel over one day or month: kWh, and how the readings behind it stand."""

    period: dt.date
    kwh: Decimal
    readings: int
    estimated: int
    missing: int
    revised: int


@dataclass(frozen=True)
class ChannelEnergy:
    """One channel's daily and monthly rows, newest first."""

    channel: Channel
    label: str
    daily: list[EnergyRow]
    monthly: list[EnergyRow]


@dataclass(frozen=True)
class SiteEnergy:
    """A site and its channels."""

    site: Site
    channels: list[ChannelEnergy]


def _label(channel: Channel) -> str:
    """Return the channel in an owner's words: "your home meter, exported"."""
    direction = "exported" if channel.kind.endswith("EXPORT") else "imported"
    if channel.charger_id is not None and channel.charger is not None:
        return f"charger {channel.charger.external_id}, {direction}"
    return f"your home meter, {direction}"


def _rows(totals: QuerySet[DailyTotal], month: bool) -> dict[int, list[EnergyRow]]:
    """Return each channel's rows, newest first: its daily totals, or their monthly sums."""
    if month:
        grouped = totals.annotate(period=TruncMonth("day")).values("channel_id", "period")
    else:
        grouped = totals.annotate(period=F("day")).values("channel_id", "period")
    found: dict[int, list[EnergyRow]] = defaultdict(list)
    for row in grouped.annotate(
        wh=Sum(F("export_wh") + F("import_wh")),
        readings=Sum("readings"),
        estimated=Sum("estimated"),
        missing=Sum("missing"),
        revised=Sum("revised"),
    ).order_by("channel_id", "-period"):
        period = row["period"]
        found[row["channel_id"]].append(
            EnergyRow(
                period=period.date() if isinstance(period, dt.datetime) else period,
                kwh=Decimal(row["wh"]) / WH_PER_KWH,
                readings=row["readings"],
                estimated=row["estimated"],
                missing=row["missing"],
                revised=row["revised"],
            )
        )
    return found


def energy_of(*, user: User, today: dt.date) -> list[SiteEnergy]:
    """Return the energy of every site `user` acts for, up to local `today` inclusive.

    Read from the daily totals ingestion keeps (each in its site's local days): two grouped
    queries whatever the number of readings behind them.
    """
    sites = list(
        account_queries.sites_of(user=user)
        .distinct()
        .prefetch_related("channels__charger")
        .order_by("account_number")
    )
    if not sites:
        return []
    first_month = (today.replace(day=1) - dt.timedelta(days=31 * (MONTHS - 1))).replace(day=1)
    channel_ids = [channel.pk for site in sites for channel in site.channels.all()]
    totals = DailyTotal.objects.filter(channel_id__in=channel_ids, day__lte=today)
    daily = _rows(totals.filter(day__gt=today - dt.timedelta(days=DAYS)), month=False)
    monthly = _rows(totals.filter(day__gte=first_month), month=True)
    return [
        SiteEnergy(
            site=site,
            channels=[
                ChannelEnergy(
                    channel=channel,
                    label=_label(channel),
                    daily=daily.get(channel.pk, []),
                    monthly=monthly.get(channel.pk, []),
                )
                for channel in sorted(site.channels.all(), key=lambda c: (c.meter_id, c.kind))
            ],
        )
        for site in sites
    ]
