"""Schemathesis hooks of the schema fuzz run (tests/functional/test_api_schema_fuzz.py).

A JSON Schema describes each field alone; it cannot say that one date comes after another.
The two operations that take a range of local dates refuse, with a 400 naming `end`, a range
that is empty, reversed or longer than a year (the schema's descriptions say so). The cases
schemathesis generates as valid are made to keep that rule, so that its positive-data check
(ST202) tests what the operation does with a valid range instead of failing on the rule:
the dates keep their start, and the end moves to between 1 and 366 days after it. Cases
generated as invalid are left as they are, and must still be refused.
"""

import datetime as dt
from typing import Any

import schemathesis

MAX_DAYS = 366  # settlement.rate_preview.preview.MAX_DAYS, settlement.statements.periods
RANGES = {
    ("GET", "/api/v1/staff/rate-preview/"): "query",
    ("POST", "/api/v1/staff/runs/"): "body",
}
LATEST_START = dt.date.max - dt.timedelta(days=MAX_DAYS)


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _within_rule(values: dict[str, Any]) -> None:
    """Move `values["end"]` to 1 to 366 days after `values["start"]`, if both are dates."""
    start, end = _date(values.get("start")), _date(values.get("end"))
    if start is None or end is None or 0 < (end - start).days <= MAX_DAYS:
        return
    start = min(start, LATEST_START)
    values["start"] = start.isoformat()
    values["end"] = (start + dt.timedelta(days=1 + abs((end - start).days) % MAX_DAYS)).isoformat()


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Keep a valid case's date range within the rule the schema cannot state."""
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return case
    where = RANGES.get((case.method.upper(), case.operation.path))
    values = case.query if where == "query" else case.body if where == "body" else None
    if isinstance(values, dict):
        if where == "body" and "period" in values:
            # A month, or a range of dates: one of the two (`RunInput`'s oneOf).
            values.pop("start", None)
            values.pop("end", None)
        _within_rule(values)
    return case
