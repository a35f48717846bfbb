"""Settlement periods: half-open local dates in the program's zone, and their UTC instants."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from settlement.errors import DomainError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodInvalid(DomainError):
    """The period is not a month YYYY-MM or a non-empty range of local dates."""

    code = "period_invalid"


@dataclass(frozen=True)
class Period:
    """Local dates [start, end) in `time_zone`."""

    start: date
    end: date
    time_zone: str

    @property
    def start_utc(self) -> datetime:
        """Return the UTC instant of local midnight starting the period."""
        return _midnight_utc(self.start, self.time_zone)

    @property
    def end_utc(self) -> datetime:
        """Return the UTC instant of local midnight ending the period (exclusive)."""
        return _midnight_utc(self.end, self.time_zone)

    def label(self) -> str:
        """Return "2025-07" for a calendar month, else "2025-07-01 to 2025-07-15"."""
        if self.start.day == 1 and self.end == _next_month(self.start):
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def _midnight_utc(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month(text: str, *, time_zone: str) -> Period:
    """Return the calendar month `YYYY-MM` as a period; raises PeriodInvalid."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise PeriodInvalid(f"period: {text!r} is not a month YYYY-MM", details={"field": "period"})
    start = date(int(found.group(1)), int(found.group(2)), 1)
    return Period(start=start, end=_next_month(start), time_zone=time_zone)


def dates(start: date, end: date, *, time_zone: str) -> Period:
    """Return local dates [start, end) as a period; raises PeriodInvalid when empty."""
    if end <= start:
        raise PeriodInvalid(f"end {end} must be after start {start}", details={"field": "end"})
    if (end - start).days > 366:
        raise PeriodInvalid("a period is at most a year", details={"field": "end"})
    return Period(start=start, end=end, time_zone=time_zone)


def previous_month(today: date) -> tuple[date, date]:
    """Return the local dates [first, last + 1) of the month before `today`'s."""
    first = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return first, _next_month(first)


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone `name`."""
    return ZoneInfo(name)
