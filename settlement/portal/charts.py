"""Server-side SVG geometry for the dashboard's chart: bars of kWh, a line of earnings.

Drawn on the server as plain SVG attributes (no script, no inline style), so the chart
shows under a strict Content-Security-Policy and needs nothing from a CDN. Each day's
texts are formatted here once, for its bar's tooltip and its row of the table beside the
chart, rather than once per use in the template.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from settlement import formatting
from settlement.payouts.dashboard import ChartDay

WIDTH = 600
HEIGHT = 180
# Room under the bars for the baseline; the top keeps the highest bar off the edge.
TOP = 10
BOTTOM = HEIGHT - 20


@dataclass(frozen=True)
class Bar:
    """One day's bar and its tooltip text."""

    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    title: str


@dataclass(frozen=True)
class Row:
    """One day of the table beside the chart, its texts formatted."""

    day: ChartDay
    day_text: str
    kwh_text: str
    earnings_text: str


@dataclass(frozen=True)
class Chart:
    """Bars for kWh, the earnings line's points, the axis labels and the table's rows."""

    bars: list[Bar]
    rows: list[Row]
    earnings_points: str
    max_kwh: Decimal
    max_earnings: Decimal
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BOTTOM


def _scale(value: Decimal, top: Decimal) -> Decimal:
    """Return the y of `value` on a 0..top axis (SVG's y grows downwards)."""
    if top <= 0:
        return Decimal(BOTTOM)
    return (Decimal(BOTTOM) - (value / top) * (BOTTOM - TOP)).quantize(Decimal("0.1"))


def chart(*, days: list[ChartDay], currency: str, today: dt.date) -> Chart:
    """Return the chart of `days` with amounts in `currency`.

    A bar's tooltip names its day without the year ("Dec 7: 12.5 kWh, $3.75"); the table
    writes the year of a day not in `today`'s year, as the `day` template filter does.
    """
    slot = Decimal(WIDTH) / max(len(days), 1)
    max_kwh = max((day.kwh for day in days), default=Decimal(0))
    max_earnings = max((day.earnings for day in days), default=Decimal(0))
    bars = []
    points = []
    rows = []
    for index, day in enumerate(days):
        kwh_text = formatting.energy(kwh=day.kwh)
        earnings_text = formatting.money(amount=day.earnings, currency=currency)
        title = f"{formatting.day(value=day.day, today=day.day)}: {kwh_text}, {earnings_text}"
        rows.append(
            Row(
                day=day,
                day_text=formatting.day(value=day.day, today=today),
                kwh_text=kwh_text,
                earnings_text=earnings_text,
            )
        )
        x = (slot * index).quantize(Decimal("0.1"))
        y = _scale(day.kwh, max_kwh)
        bars.append(
            Bar(
                x=x,
                y=y,
                width=(slot * Decimal("0.8")).quantize(Decimal("0.1")),
                height=Decimal(BOTTOM) - y,
                title=title,
            )
        )
        centre = (x + slot / 2).quantize(Decimal("0.1"))
        points.append(f"{centre},{_scale(day.earnings, max_earnings)}")
    return Chart(
        bars=bars,
        rows=rows,
        earnings_points=" ".join(points),
        max_kwh=max_kwh,
        max_earnings=max_earnings,
    )
