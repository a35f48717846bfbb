"""Server-side SVG geometry for the dashboard's chart: bars of kWh, a line of earnings.

Drawn on the server as plain SVG attributes (no script, no inline style), so the chart
shows under a strict Content-Security-Policy and needs nothing from a CDN.
"""

from dataclasses import dataclass
from decimal import Decimal

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
class Chart:
    """Bars for kWh, the earnings line's points, and the axis labels."""

    bars: list[Bar]
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


def chart(*, days: list[ChartDay], titles: list[str]) -> Chart:
    """Return the chart of `days`; `titles` are each day's text for its tooltip."""
    slot = Decimal(WIDTH) / max(len(days), 1)
    max_kwh = max((day.kwh for day in days), default=Decimal(0))
    max_earnings = max((day.earnings for day in days), default=Decimal(0))
    bars = []
    points = []
    for index, (day, title) in enumerate(zip(days, titles, strict=True)):
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
        bars=bars, earnings_points=" ".join(points), max_kwh=max_kwh, max_earnings=max_earnings
    )
