"""Reads for an owner's dashboard: earnings, what is pending, the next payout, offers, data.

It sits in payouts, the highest domain layer, because it reads what every layer below
keeps (statements, offers, readings, enrollments). Every figure is Decimal money in the
program's currency; each section is one query whatever the number of rows, so the page
costs the same for a month of data as for ten years.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    DateTimeField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from accounts import queries as account_queries
from accounts.models import Channel, Enrollment, Participant, Program, User
from settlement import formatting
from settlement.events import queries as event_queries
from settlement.events.models import Offer
from settlement.metering.models import DailyTotal, Reading
from settlement.payouts import gateway
from settlement.payouts.models import Payout, PayoutAccount, PayoutMethod
from settlement.rating.money import CENT
from settlement.statements.models import Statement, StatementLine
from settlement.statements.review import event_results

CHART_DAYS = 60
# A channel that has sent nothing for this long is shown with a warning.
SILENT_AFTER = dt.timedelta(days=2)
# Accepted events that ended this recently show their results on the dashboard.
RESULTS_FOR = dt.timedelta(days=30)
OWNER_VISIBLE = (Statement.State.APPROVED, Statement.State.RELEASED)
ZERO = Decimal("0.00")
WH_PER_KWH = Decimal(1000)


@dataclass(frozen=True)
class Earnings:
    """Approved and released statement totals by period month, and since enrolling."""

    this_month: Decimal
    last_month: Decimal
    since_enrolling: Decimal
    # Approved or released, not yet paid by a payout that reached PAID.
    approved_unpaid: Decimal
    # The open period's exports so far at the last statement's average price; None when no
    # statement gives a price yet.
    estimated_open_period: Decimal | None
    open_period_kwh: Decimal
    average_price: Decimal | None


@dataclass(frozen=True)
class NextPayout:
    """The payout on its way, or the amount due next and what (if anything) holds it back."""

    amount: Decimal
    status: str
    # OK, ON_ITS_WAY, NOTHING_DUE, AWAITING_APPROVAL, NO_PAYOUT_ACCOUNT, BELOW_MINIMUM
    blocker: str
    sentence: str


@dataclass(frozen=True)
class ChannelFreshness:
    """The latest reading of one channel, and whether the channel has gone silent."""

    channel_id: int
    meter_id: str
    kind_label: str
    zone: str
    latest_end: dt.datetime | None
    silent: bool


@dataclass(frozen=True)
class ChartDay:
    """One local day of the chart: exported kWh and what it earns at the period's price."""

    day: dt.date
    kwh: Decimal
    earnings: Decimal
    estimated: bool


@dataclass(frozen=True)
class RecentResult:
    """An accepted event that ended lately and its result in one sentence."""

    offer: Offer
    sentence: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for one participant."""

    participant: Participant
    program: Program | None
    # Every enrollment, oldest first: which program pays for which site since when.
    enrollments: list[Enrollment]
    currency: str
    zone: str
    earnings: Earnings
    next_payout: NextPayout
    open_offers: list[Offer]
    upcoming_events: list[Offer]
    freshness: list[ChannelFreshness]
    chart: list[ChartDay]
    next_steps: list[str] = field(default_factory=list)
    # Accepted events ended within RESULTS_FOR, newest first, with what they measured or
    # settled ("delivered 14.2 kWh, estimated $28.40, to be confirmed in your statement").
    recent_results: list[RecentResult] = field(default_factory=list)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _previous_month_start(day: dt.date) -> dt.date:
    return (_month_start(day) - dt.timedelta(days=1)).replace(day=1)


def _money(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENT)


def _first_program(enrollments: list[Enrollment]) -> Program | None:
    """Return the program whose zone and currency the dashboard uses: the first enrolled in."""
    live = [e for e in enrollments if e.status != Enrollment.Status.ENDED] or enrollments
    return live[0].program if live else None


def _average_price(*, participant: Participant, currency: str) -> Decimal | None:
    """Return amount per kWh of the newest owner-visible statement's exported-energy lines."""
    newest = (
        Statement.objects.filter(
            participant=participant, currency=currency, state__in=OWNER_VISIBLE
        )
        .order_by("-run__period_start", "-run__sequence")
        .values("pk")[:1]
    )
    totals = StatementLine.objects.filter(
        statement__in=Subquery(newest), kind=StatementLine.Kind.EXPORT_ENERGY
    ).aggregate(amount=Sum("amount"), kwh=Sum("kwh"))
    if not totals["kwh"]:
        return None
    return Decimal(totals["amount"]) / Decimal(totals["kwh"])


def _earnings(
    *, participant: Participant, currency: str, today: dt.date, open_kwh: Decimal
) -> Earnings:
    this_month = _month_start(today)
    last_month = _previous_month_start(today)
    sums = Statement.objects.filter(
        participant=participant, currency=currency, state__in=OWNER_VISIBLE
    ).aggregate(
        this_month=Sum("total", filter=Q(run__period_start__gte=this_month)),
        last_month=Sum(
            "total",
            filter=Q(run__period_start__gte=last_month, run__period_start__lt=this_month),
        ),
        since_enrolling=Sum("total"),
        approved_unpaid=Sum(
            "total",
            filter=Q(payout_link__isnull=True) | ~Q(payout_link__payout__status="PAID"),
        ),
    )
    price = _average_price(participant=participant, currency=currency)
    # Rounded once, half-up to cents, like a statement line; it is only an estimate.
    estimate = None if price is None else (open_kwh * price).quantize(CENT)
    return Earnings(
        this_month=_money(sums["this_month"]),
        last_month=_money(sums["last_month"]),
        since_enrolling=_money(sums["since_enrolling"]),
        approved_unpaid=_money(sums["approved_unpaid"]),
        estimated_open_period=estimate,
        open_period_kwh=open_kwh,
        average_price=price,
    )


def _next_payout(*, participant: Participant, program: Program | None, currency: str) -> NextPayout:
    """Return the open payout, or what the next one would be and what blocks it."""
    on_its_way = (
        Payout.objects.filter(
            participant=participant, currency=currency, status__in=Payout.OPEN_STATUSES
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if on_its_way is not None:
        amount = (Decimal(on_its_way.amount_cents) / 100).quantize(CENT)
        return NextPayout(amount, on_its_way.status, "ON_ITS_WAY", "On its way to you.")
    sums = Statement.objects.filter(
        participant=participant, currency=currency, payout_link__isnull=True
    ).aggregate(
        released=Sum("total", filter=Q(state=Statement.State.RELEASED)),
        awaiting=Sum("total", filter=Q(state=Statement.State.APPROVED, total__gt=0)),
        owed_back=Sum("total", filter=Q(state=Statement.State.APPROVED, total__lt=0)),
    )
    released, awaiting = _money(sums["released"]), _money(sums["awaiting"])
    # What the owner owes back (an approved negative statement) is netted against the next
    # payout, as `operations.create_payout` does with the receivable.
    amount = released + _money(sums["owed_back"])
    if amount <= 0 and awaiting > 0:
        return NextPayout(
            awaiting,
            "",
            "AWAITING_APPROVAL",
            "Approved; it is paid once the program releases it to payouts.",
        )
    if amount <= 0:
        return NextPayout(ZERO, "", "NOTHING_DUE", "Nothing is due yet.")
    settings_row = getattr(program, "payout_settings", None) if program else None
    method = (
        str(settings_row.method)
        if settings_row is not None
        else (PayoutMethod.STRIPE_CONNECT if gateway.is_configured() else PayoutMethod.MANUAL)
    )
    if method == PayoutMethod.STRIPE_CONNECT:
        account = PayoutAccount.objects.filter(participant=participant).first()
        if account is None or not account.payouts_enabled:
            return NextPayout(
                amount,
                "",
                "NO_PAYOUT_ACCOUNT",
                "Waiting for your payout account: connect it to be paid.",
            )
    minimum_cents = int(settings_row.minimum_cents) if settings_row is not None else 0
    if amount * 100 < minimum_cents:
        minimum = formatting.money_cents(cents=minimum_cents, currency=currency)
        return NextPayout(
            amount,
            "",
            "BELOW_MINIMUM",
            f"Below the program's minimum payout of {minimum}: it rolls over to next time.",
        )
    return NextPayout(amount, "", "OK", "Paid in the next payout run (every hour).")


def _freshness(*, channels: QuerySet[Channel], now: dt.datetime) -> list[ChannelFreshness]:
    # One query: the newest reading per channel through the (channel, start) unique index.
    newest = Reading.objects.filter(channel=OuterRef("pk")).order_by("-start")
    rows = channels.select_related("site").annotate(
        latest_start=Subquery(newest.values("start")[:1], output_field=DateTimeField()),
        latest_duration=Subquery(newest.values("duration_s")[:1]),
    )
    found = []
    for channel in rows.order_by("site__account_number", "meter_id", "kind"):
        latest = (
            None
            if channel.latest_start is None
            else channel.latest_start + dt.timedelta(seconds=channel.latest_duration)
        )
        found.append(
            ChannelFreshness(
                channel_id=channel.pk,
                meter_id=channel.meter_id,
                kind_label=str(Channel.Kind(channel.kind).label),
                zone=channel.site.timezone,
                latest_end=latest,
                silent=latest is None or now - latest >= SILENT_AFTER,
            )
        )
    return found


def daily_export_kwh(
    *, channels: QuerySet[Channel], first_day: dt.date, end_day: dt.date
) -> dict[dt.date, Decimal]:
    """Return exported kWh per local day in [first_day, end_day) over the channels.

    Read from the daily totals ingestion keeps, never from the readings: a dashboard's cost
    does not grow with the years of 15-minute data behind it. Days are the sites' local
    days, which are the program's (`accounts.rules` enrolls a site only in its own zone).
    """
    rows = (
        DailyTotal.objects.filter(channel__in=channels, day__gte=first_day, day__lt=end_day)
        .values("day")
        .annotate(wh=Sum("export_wh"))
        .order_by()
    )
    return {row["day"]: Decimal(row["wh"]) / WH_PER_KWH for row in rows if row["wh"]}


def _period_prices(
    *, participant: Participant, currency: str, since: dt.date
) -> list[tuple[dt.date, dt.date, Decimal]]:
    """Return (start, end, amount per kWh) of exported energy for approved periods since."""
    rows = (
        StatementLine.objects.filter(
            statement__participant=participant,
            statement__currency=currency,
            statement__state__in=OWNER_VISIBLE,
            statement__run__period_end__gt=since,
            kind=StatementLine.Kind.EXPORT_ENERGY,
        )
        .values("statement__run__period_start", "statement__run__period_end")
        .annotate(amount=Sum("amount"), kwh=Sum("kwh"))
    )
    return [
        (
            row["statement__run__period_start"],
            row["statement__run__period_end"],
            Decimal(row["amount"]) / Decimal(row["kwh"]),
        )
        for row in rows
        if row["kwh"]
    ]


def chart_days(
    *,
    kwh_by_day: dict[dt.date, Decimal],
    prices: list[tuple[dt.date, dt.date, Decimal]],
    fallback_price: Decimal | None,
    first_day: dt.date,
    days: int,
) -> list[ChartDay]:
    """Return `days` days from `first_day`, each at its period's price (else the fallback).

    A day priced by the fallback is marked estimated; with no price at all it earns 0.
    """
    chart = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        kwh = kwh_by_day.get(day, Decimal(0))
        price = next((p for start, end, p in prices if start <= day < end), None)
        estimated = price is None
        price = price if price is not None else fallback_price
        earnings = ZERO if price is None else (kwh * price).quantize(CENT)
        chart.append(ChartDay(day=day, kwh=kwh, earnings=earnings, estimated=estimated))
    return chart


def _next_steps(
    *,
    enrollments: list[Enrollment],
    freshness: list[ChannelFreshness],
    next_payout: NextPayout,
) -> list[str]:
    steps = []
    if not enrollments:
        steps.append(
            "You are not enrolled in a program yet: your utility enrolls you, "
            "and this page fills in once it has."
        )
    if not freshness or all(channel.latest_end is None for channel in freshness):
        steps.append(
            "No meter data has arrived yet: upload a Green Button file under My energy, "
            "or ask your utility to send it."
        )
    if next_payout.blocker == "NO_PAYOUT_ACCOUNT":
        steps.append("Connect a payout account under Payouts so we can pay you.")
    return steps


def _recent_results(*, offers: QuerySet[Offer], now: dt.datetime) -> list[RecentResult]:
    ended = list(
        offers.filter(
            status=Offer.Status.ACCEPTED,
            event__ends_at__lte=now,
            event__ends_at__gt=now - RESULTS_FOR,
        ).order_by("-event__starts_at", "pk")
    )
    found = event_results.results_of(offers=ended)
    return [
        RecentResult(offer=offer, sentence=found[offer.pk].sentence)
        for offer in ended
        if offer.pk in found
    ]


def dashboard_of(*, participant: Participant, user: User, now: dt.datetime) -> Dashboard:
    """Return the dashboard of one participant `user` acts for, as of `now`."""
    enrollments = list(
        Enrollment.objects.filter(participant=participant)
        .select_related("program__payout_settings", "site")
        .order_by("starts_on", "program__code")
    )
    program = _first_program(enrollments)
    currency = program.currency if program else "USD"
    zone = program.timezone if program else "UTC"
    today = now.astimezone(ZoneInfo(zone)).date()
    channels = Channel.objects.filter(site__participant=participant)
    first_day = today - dt.timedelta(days=CHART_DAYS - 1)
    # The chart's days reach back before the open month on any day of it, so one query
    # serves both the chart and the open period's estimate.
    kwh_by_day = daily_export_kwh(
        channels=channels,
        first_day=min(first_day, _month_start(today)),
        end_day=today + dt.timedelta(days=1),
    )
    open_kwh = sum(
        (kwh for day, kwh in kwh_by_day.items() if day >= _month_start(today)), Decimal(0)
    )
    earnings = _earnings(participant=participant, currency=currency, today=today, open_kwh=open_kwh)
    next_payout = _next_payout(participant=participant, program=program, currency=currency)
    offers = event_queries.offers_for_user(user=user).filter(participant=participant)
    freshness = _freshness(channels=channels, now=now)
    return Dashboard(
        participant=participant,
        program=program,
        enrollments=enrollments,
        currency=currency,
        zone=zone,
        earnings=earnings,
        next_payout=next_payout,
        open_offers=list(
            event_queries.open_offers(offers, now=now).order_by("event__response_deadline")
        ),
        upcoming_events=list(
            offers.filter(
                status=Offer.Status.ACCEPTED,
                event__ends_at__gt=now,
                event__cancelled_at__isnull=True,
            ).order_by("event__starts_at")
        ),
        freshness=freshness,
        chart=chart_days(
            kwh_by_day=kwh_by_day,
            prices=_period_prices(participant=participant, currency=currency, since=first_day),
            fallback_price=earnings.average_price,
            first_day=first_day,
            days=CHART_DAYS,
        ),
        next_steps=_next_steps(
            enrollments=enrollments, freshness=freshness, next_payout=next_payout
        ),
        recent_results=_recent_results(offers=offers, now=now),
    )


def dashboards_of(*, user: User, now: dt.datetime) -> list[Dashboard]:
    """Return one dashboard per participant `user` acts for, by name."""
    participants = account_queries.participants_of(user=user).distinct().order_by("name", "pk")
    return [dashboard_of(participant=p, user=user, now=now) for p in participants]
