"""Group an upload's report: problems of one kind, field and reason become one line.

A file from before a site's enrollment repeats "outside every enrollment" for every row;
the page and the JSON summary say it once, with the number of rows and the first and last
place (the CSV report keeps every problem). Reasons that name an instant differ only by it,
so instants are left out of the grouping key; the group's time span is the start of its
first and last refused interval, as recorded with each problem (never read from a reason).
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

# An ISO-8601 instant as the validation messages write it (datetime.isoformat()).
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)")
_GAP = "{}"


@dataclass
class ProblemGroup:
    """Problems sharing kind, field and reason (up to the instants they name).

    `rows` is the number of places (source rows) the problems are at, not the number of
    problems: a line whose export and import readings are both refused is one row.
    """

    kind: str
    field: str
    reason: str
    rows: int
    first_location: str
    last_location: str
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None

    def line(self) -> str:
        """Return the group as one sentence, e.g.

        "216 rows, 2014-01-01 05:00 to 2014-01-10 04:00 UTC (line 2 to line 217):
        interval is outside every enrollment of the site".
        """
        if self.rows == 1:
            return f"{self.first_location}: {self.reason}"
        where = f"{self.first_location} to {self.last_location}"
        if self.first_at is not None and self.last_at is not None:
            where = f"{self.first_at:%Y-%m-%d %H:%M} to {self.last_at:%Y-%m-%d %H:%M} UTC ({where})"
        return f"{self.rows} rows, {where}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        """Return the group for the JSON summary."""
        return {
            "kind": self.kind,
            "field": self.field,
            "reason": self.reason,
            # The API's name since before it counted rows rather than problems.
            "count": self.rows,
            "first_location": self.first_location,
            "last_location": self.last_location,
            "first_at": None if self.first_at is None else self.first_at.isoformat(),
            "last_at": None if self.last_at is None else self.last_at.isoformat(),
            "line": self.line(),
        }


Report = tuple[str, str, str, str, dt.datetime | None]


def group_problems(problems: Iterable[Report]) -> list[ProblemGroup]:
    """Return (kind, location, field, reason, interval start) rows, in report order, grouped.

    Groups are in the order of their first problem. A group counts each location once: the
    problems of one row are reported one after another, so a location repeated right after
    itself is the same row. Its time span runs from the earliest to the latest interval
    start (UTC) of its problems; None when none of them has an interval.
    """
    groups: dict[tuple[str, str, str], ProblemGroup] = {}
    for kind, location, field_name, reason, start in problems:
        template = _INSTANT.sub(_GAP, reason)
        key = (kind, field_name, template)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ProblemGroup(
                kind=kind,
                field=field_name,
                reason=reason,
                rows=1,
                first_location=location,
                last_location=location,
            )
        elif location != group.last_location:
            group.rows += 1
            group.last_location = location
        if start is not None:
            at = start.astimezone(dt.UTC)
            group.first_at = at if group.first_at is None else min(group.first_at, at)
            group.last_at = at if group.last_at is None else max(group.last_at, at)
    for group in groups.values():
        if group.rows > 1:
            group.reason = _without_instants(group.reason)
    return list(groups.values())


def _without_instants(reason: str) -> str:
    # "interval 2014-01-01T05:00:00+00:00 is outside ..." -> "interval is outside ...".
    return re.sub(r"\s+", " ", _INSTANT.sub("", reason)).replace(" ()", "").strip()
