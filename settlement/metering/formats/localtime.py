"""Return UTC instants for local wall-clock times, resolving fall-back repeats by order."""

from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from settlement.metering.formats.base import FileRejected, ParseNotes

FALL_BACK_RULE = (
    "order of appearance: the first run of a repeated fall-back wall time is daylight "
    "time, the second run is standard time (tracked per flow)"
)


class NonexistentTimeError(ValueError):
    """The wall time falls in a spring-forward gap: no such instant exists in the zone."""


class WallClock:
    """Convert naive local wall times of one file to aware UTC instants.

    A wall time that occurs twice (the fall-back hour) is daylight time the first time it
    appears for a flow and standard time the second time: utility CSVs list the repeated
    hour twice in that order and carry no offset to tell them apart.
    """

    def __init__(self, *, timezone: str | None, file_kind: str, notes: ParseNotes) -> None:
        if not timezone:
            raise FileRejected(
                f"{file_kind} times are local wall-clock times: the site's time zone "
                "(an IANA name such as America/Los_Angeles) is required to read them",
                code="timezone_required",
            )
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise FileRejected(
                f"{timezone!r} is not an IANA time zone name", code="bad_timezone"
            ) from None
        self._notes = notes
        self._seen: dict[Hashable, dict[datetime, int]] = {}

    def to_utc(self, wall: datetime, *, series: Hashable) -> datetime:
        """Return the UTC instant of naive `wall` for one series (a flow) of the file.

        Raises NonexistentTimeError for a time in a spring-forward gap, and ValueError
        for a wall time that appears a third time in the same series.
        """
        first = wall.replace(tzinfo=self._zone, fold=0)
        second = wall.replace(tzinfo=self._zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return first.astimezone(UTC)
        if first.astimezone(UTC).astimezone(self._zone).replace(tzinfo=None) != wall:
            raise NonexistentTimeError(
                f"{wall:%Y-%m-%d %H:%M} does not exist in {self._zone.key} "
                "(clocks spring forward over it)"
            )
        counts = self._seen.setdefault(series, {})
        count = counts.get(wall, 0)
        if count >= 2:
            raise ValueError(
                f"{wall:%Y-%m-%d %H:%M} appears a third time; a fall-back wall time "
                "occurs at most twice"
            )
        counts[wall] = count + 1
        chosen = first if count == 0 else second
        self._notes.fall_back_rule = FALL_BACK_RULE
        self._notes.fall_back_readings += 1
        return chosen.astimezone(UTC)

    def span_s(self, start: datetime, end: datetime, *, start_utc: datetime) -> int:
        """Return the seconds from wall time `start` (at `start_utc`) to wall time `end`.

        Utilities label intervals on a DST boundary in two ways, and both are read right:
        - true local times (01:45 to 03:00 on a spring-forward day, 01:45 to 01:00 at the
          end of the first fall-back run): the real elapsed time, the end being the first
          instant with that wall time after the start;
        - nominal labels (01:45 to 02:00 where 02:00 is skipped or the hour repeats): the
          wall-clock difference, since such an end names no single instant.
        """
        wall_seconds = _whole_seconds(end - start)
        if wall_seconds > 0 and not (self._is_regular(start) and self._is_regular(end)):
            return wall_seconds
        candidates = [end.replace(tzinfo=self._zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
        later = [c for c in candidates if c > start_utc and self._names(c, end)]
        return _whole_seconds(min(later) - start_utc) if later else wall_seconds

    def _names(self, instant: datetime, wall: datetime) -> bool:
        """Return whether the UTC `instant` reads as `wall` on the zone's clocks."""
        return instant.astimezone(self._zone).replace(tzinfo=None) == wall

    def _is_regular(self, wall: datetime) -> bool:
        """Return whether `wall` names exactly one instant (neither repeated nor skipped)."""
        first = wall.replace(tzinfo=self._zone, fold=0)
        return first.utcoffset() == wall.replace(tzinfo=self._zone, fold=1).utcoffset()


def _whole_seconds(delta: timedelta) -> int:
    """Return a timedelta as whole seconds (sub-second parts are dropped)."""
    return delta.days * 86400 + delta.seconds
