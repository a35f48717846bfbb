"""Group an upload's report: problems of one kind, field and reason become one line.

A file from before a site's enrollment repeats "outside every enrollment" for every row;
the page and the JSON summary say it once, with a count and the first and last place (the
CSV report keeps every row). Reasons that name an instant differ only by it, so instants
are left out of the grouping key and given as the group's time span instead.
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
    """Problems sharing kind, field and reason (up to the instants they name)."""

    kind: str
    field: str
    reason: str
    count: int
    first_location: str
    last_location: str
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None

    def line(self) -> str:
        """Return the group as one sentence, e.g.

        "216 rows, 2014-01-01 05:00 to 2014-01-10 04:00 UTC (line 2 to line 217):
        interval is outside every enrollment of the site".
        """
        if self.count == 1:
            return f"{self.first_location}: {self.reason}"
        where = f"{self.first_location} to {self.last_location}"
        if self.first_at is not None and self.last_at is not None:
            where = f"{self.first_at:%Y-%m-%d %H:%M} to {self.last_at:%Y-%m-%d %H:%M} UTC ({where})"
        return f"{self.count} rows, {where}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        """Return the group for the JSON summary."""
        return {
            "kind": self.kind,
            "field": self.field,
            "reason": self.reason,
            "count": self.count,
            "first_location": self.first_location,
            "last_location": self.last_location,
            "first_at": None if self.first_at is None else self.first_at.isoformat(),
            "last_at": None if self.last_at is None else self.last_at.isoformat(),
            "line": self.line(),
        }


def group_problems(problems: Iterable[tuple[str, str, str, str]]) -> list[ProblemGroup]:
    """Return (kind, location, field, reason) rows, in report order, grouped.

    Groups are in the order of their first problem; a group's time span runs from its
    earliest to its latest instant (UTC) when its reasons name one.
    """
    groups: dict[tuple[str, str, str], ProblemGroup] = {}
    for kind, location, field_name, reason in problems:
        instants = [
            instant
            for instant in (_instant(text) for text in _INSTANT.findall(reason))
            if instant is not None
        ]
        template = _INSTANT.sub(_GAP, reason)
        key = (kind, field_name, template)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ProblemGroup(
                kind=kind,
                field=field_name,
                reason=reason,
                count=0,
                first_location=location,
                last_location=location,
            )
        group.count += 1
        group.last_location = location
        if instants:
            first = instants[0]
            group.first_at = first if group.first_at is None else min(group.first_at, first)
            group.last_at = first if group.last_at is None else max(group.last_at, first)
    for group in groups.values():
        if group.count > 1:
            group.reason = _without_instants(group.reason)
    return list(groups.values())


def _instant(text: str) -> dt.datetime | None:
    """Return the UTC instant a reason names; None for one no UTC datetime can hold.

    A reason quotes what the file said, and a file may say 0001-01-01T00:00:00+14:00
    (before the first UTC instant): such a reason is reported without a time span rather
    than failing the report (uploads stored before the parsers refused them have such
    reasons too).
    """
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


def _without_instants(reason: str) -> str:
    # "interval 2014-01-01T05:00:00+00:00 is outside ..." -> "interval is outside ...".
    return re.sub(r"\s+", " ", _INSTANT.sub("", reason)).replace(" ()", "").strip()
