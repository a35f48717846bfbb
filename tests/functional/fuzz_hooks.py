"""Schemathesis hooks of the schema fuzz run (tests/functional/test_api_schema_fuzz.py).

A JSON Schema describes each field alone, and not against the clock: it cannot say that one
date comes after another, or that a time is in the future. The operations with such rules
refuse a request that breaks them with a 400 naming the field (the schema's descriptions
say so):

- the two that take a range of local dates (the rate preview, a run's dates): an empty,
  reversed or longer than a year range;
- the two that take an event's window (create, modify): an end not after the start, a time
  not on the hour or not in the future, a deadline after the start;
- the two that take a standing rule's terms (create, change): a lowest price or a lowest net
  after wear, at least one; a start hour before the end hour.

The cases schemathesis generates as valid are made to keep these rules, so that its
positive-data check (ST202) tests what the operation does with valid terms instead of
failing on a rule it cannot know: a range keeps its start and its end moves to 1 to 366
days after it; an event's window moves to whole hours in the weeks ahead (the program's own
rules, seasons and hours, may still refuse it: that is a 409). Cases generated as invalid
are left as they are, and must still be refused.
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
STANDING_TERMS = {
    ("POST", "/api/v1/standing-rules/"),
    ("PUT", "/api/v1/standing-rules/{rule_id}/"),
}
EVENT_TERMS = {
    ("POST", "/api/v1/staff/events/"),
    ("POST", "/api/v1/staff/events/{event_id}/modify/"),
}


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


def _spread(value: Any, size: int) -> int:
    """Return a number in [0, size) that depends on the generated value only."""
    return sum(map(ord, str(value))) % size


def _event_window(values: dict[str, Any], now: dt.datetime) -> None:
    """Move an event's start, end and deadline to whole hours in the four weeks after
    tomorrow: 1 to 4 hours long, the deadline an hour before the start."""
    first = (now + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    start = first + dt.timedelta(hours=_spread(values.get("start"), 24 * 28))
    end = start + dt.timedelta(hours=1 + _spread(values.get("end"), 4))
    values["start"] = start.isoformat()
    values["end"] = end.isoformat()
    values["deadline"] = (start - dt.timedelta(hours=1)).isoformat()


def _standing_terms(values: dict[str, Any]) -> None:
    """Give a rule a lowest price when it has neither threshold, and order its hours."""
    if values.get("min_price_per_kwh") is None and values.get("min_net_amount") is None:
        values["min_price_per_kwh"] = "1.00"
    start, end = values.get("start_hour", 0), values.get("end_hour", 24)
    if isinstance(start, int) and isinstance(end, int) and start >= end:
        values["start_hour"], values["end_hour"] = 0, 24


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Keep a valid case's date range within the rule the schema cannot state."""
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return case
    key = (case.method.upper(), case.operation.path)
    if key in STANDING_TERMS and isinstance(case.body, dict):
        _standing_terms(case.body)
        return case
    if key in EVENT_TERMS and isinstance(case.body, dict):
        _event_window(case.body, dt.datetime.now(dt.UTC))
        return case
    where = RANGES.get(key)
    values = case.query if where == "query" else case.body if where == "body" else None
    if isinstance(values, dict):
        if where == "body" and "period" in values:
            # A month, or a range of dates: one of the two (`RunInput`'s oneOf).
            values.pop("start", None)
            values.pop("end", None)
        _within_rule(values)
    return case
