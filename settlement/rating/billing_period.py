"""The billing period `[start, end)`: its checks and its local days and months."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import Int64Array, IntervalArrays
from settlement.rating.local_time import epoch_seconds, local_datetime, zone_info


def cumulative_wh(elapsed_s: Int64Array, wh: Int64Array, duration_s: Int64Array) -> Int64Array:
    """Return the Wh a reading has delivered `elapsed_s` into it, rounded half-up to a Wh.

    Energy accrues evenly over a reading. A part `[a, b)` of it holds
    `cumulative(b) - cumulative(a)`: every part is a whole number of Wh, the parts of any
    division add up to the reading exactly, and a part depends only on the reading and its
    own two instants, so two billing periods (or two versions) sharing a reading agree on
    where each Wh goes without seeing each other's cuts.
    """
    # 2 x wh x elapsed + duration <= 2 x 10^12 x 2,678,400 + ... < 2^63 (intervals.MAX_*).
    return (2 * wh * elapsed_s + duration_s) // (2 * duration_s)


@dataclass(frozen=True)
class BillingPeriod:
    """A half-open billing period in epoch seconds UTC."""

    start_utc: int
    end_utc: int

    @classmethod
    def from_datetimes(cls, *, start: datetime, end: datetime) -> "BillingPeriod":
        """Return the period `[start, end)`; raises `RatingInputError` unless aware and ordered."""
        period = cls(start_utc=epoch_seconds(start), end_utc=epoch_seconds(end))
        if period.end_utc <= period.start_utc:
            raise RatingInputError(f"billing period: end {end} must be after start {start}")
        return period

    def check_contains(self, intervals: IntervalArrays) -> None:
        """Raise `RatingInputError` naming the first interval not wholly inside the period."""
        if not len(intervals):
            return
        outside = (intervals.start_utc < self.start_utc) | (intervals.end_utc > self.end_utc)
        if bool(outside.any()):
            first = int(outside.argmax())
            raise RatingInputError(
                f"intervals[{first}]: [{int(intervals.start_utc[first])}, "
                f"{int(intervals.end_utc[first])}) is not inside the billing period "
                f"[{self.start_utc}, {self.end_utc}); {int(outside.sum())} interval(s) outside"
            )

    def shares_inside(self, intervals: IntervalArrays) -> IntervalArrays:
        """Return each interval's part inside the period, in the same order.

        An interval reaching over an edge keeps `[max(start, period start), min(end, period
        end))` and the Wh `cumulative_wh` gives that part, so the periods on both sides of an
        edge share a reading's Wh out exactly once. Raises `RatingInputError` naming the first
        interval that does not overlap the period at all.
        """
        if not len(intervals):
            return intervals
        start, end = intervals.start_utc, intervals.end_utc
        outside = (end <= self.start_utc) | (start >= self.end_utc)
        if bool(outside.any()):
            first = int(outside.argmax())
            raise RatingInputError(
                f"intervals[{first}]: [{int(start[first])}, {int(end[first])}) does not overlap "
                f"the billing period [{self.start_utc}, {self.end_utc})"
            )
        crossing = (start < self.start_utc) | (end > self.end_utc)
        if not bool(crossing.any()):
            return intervals
        clipped_start = np.maximum(start, self.start_utc)
        clipped_end = np.minimum(end, self.end_utc)
        delivered_before = cumulative_wh(clipped_start - start, intervals.wh, intervals.duration_s)
        delivered_by_end = cumulative_wh(clipped_end - start, intervals.wh, intervals.duration_s)
        return IntervalArrays(
            start_utc=clipped_start,
            duration_s=clipped_end - clipped_start,
            wh=delivered_by_end - delivered_before,
        )

    def local_day_starts(self, zone: str) -> tuple[date, ...]:
        """Return the local dates whose first instant lies in the period, in order.

        A day counts by when it begins, so a period from local midnight to local midnight
        counts each of its days once, 23- and 25-hour days included.
        """
        info = zone_info(zone)
        first = local_datetime(self.start_utc, zone).date()
        last = local_datetime(self.end_utc, zone).date()
        days = []
        current = first
        while current <= last:
            # fold=0 at a midnight skipped by a DST jump resolves to the instant of the jump,
            # which is the first instant of that local day.
            midnight = datetime(current.year, current.month, current.day, tzinfo=info)
            if self.start_utc <= epoch_seconds(midnight) < self.end_utc:
                days.append(current)
            current += timedelta(days=1)
        return tuple(days)

    def local_month_starts(self, zone: str) -> tuple[date, ...]:
        """Return the first days of the local months that begin inside the period."""
        return tuple(day for day in self.local_day_starts(zone) if day.day == 1)
