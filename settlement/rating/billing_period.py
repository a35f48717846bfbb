"""The billing period `[start, end)`: its checks and its local days and months."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import IntervalArrays
from settlement.rating.local_time import epoch_seconds, local_datetime, zone_info


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
