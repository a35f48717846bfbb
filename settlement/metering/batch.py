"""Parse an aggregator's JSON batch of readings into the parsers' reading contract.

    {"idempotency_key": "...", "readings": [{"meter_id": "M-1", "flow": "EXPORT",
      "start": "2024-05-22T17:00:00Z", "duration_s": 900, "wh": 250, "quality": "ACTUAL"}]}

A batch is bounded by the request size limit, so it is read whole.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from settlement.metering.formats.base import (
    MAX_ABS_WH,
    FileRejected,
    Flow,
    Item,
    ParsedReading,
    ParseNotes,
    RowError,
)
from settlement.metering.formats.quality import CANONICAL
from settlement.rating.intervals import MAX_DURATION_S

FORMAT = "batch-json"


def parse(
    stream: BinaryIO,
    *,
    timezone: str | None = None,
    meter_id: str | None = None,
    notes: ParseNotes | None = None,
) -> Iterator[Item]:
    """Return the readings and element errors of a batch; raise FileRejected if not one."""
    raw = stream.read()
    if not raw:
        raise FileRejected("the batch is empty", code="empty")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FileRejected(f"the batch is not JSON: {error}", code="malformed") from None
    readings = document.get("readings") if isinstance(document, dict) else None
    if not isinstance(readings, list):
        raise FileRejected("the batch must be an object with a list 'readings'", code="malformed")
    if notes is not None:
        notes.meter_id_source = "meter_id of each reading"
    return _items(readings)


def _items(readings: list[Any]) -> Iterator[Item]:
    for index, element in enumerate(readings):
        location = f"readings[{index}]"
        if not isinstance(element, dict):
            yield RowError(location, "reading", "each reading must be a JSON object")
            continue
        yield read_element(element, location)


def read_element(element: dict[str, Any], location: str) -> Item:
    """Return one batch element as a reading, or the first field at fault and why."""
    meter = element.get("meter_id")
    if not isinstance(meter, str) or not meter or len(meter) > 64:
        return RowError(location, "meter_id", "meter_id must be a non-empty string")
    try:
        flow = Flow(str(element.get("flow")))
    except ValueError:
        return RowError(location, "flow", "flow must be EXPORT or IMPORT")
    start_text = element.get("start")
    try:
        start = datetime.fromisoformat(str(start_text))
    except ValueError:
        return RowError(location, "start", f"{str(start_text)[:40]!r} is not an ISO-8601 instant")
    if start.tzinfo is None:
        return RowError(location, "start", "start must carry a UTC offset")
    try:
        start = start.astimezone(UTC)
    except OverflowError:
        return RowError(location, "start", "start is before year 1 in UTC")
    duration_s = element.get("duration_s")
    if type(duration_s) is not int or not 0 < duration_s <= MAX_DURATION_S:
        return RowError(
            location,
            "duration_s",
            f"duration_s must be a whole number of seconds from 1 to {MAX_DURATION_S}",
            start,
        )
    if start > datetime.max.replace(tzinfo=UTC) - timedelta(seconds=duration_s):
        return RowError(location, "start", "the interval ends after year 9999", start)
    wh = element.get("wh")
    # JSON numbers with a fraction or exponent are refused: energy is whole Wh.
    if type(wh) is not int or abs(wh) > MAX_ABS_WH:
        return RowError(location, "wh", f"wh must be an integer within +-{MAX_ABS_WH}", start)
    quality = CANONICAL.get(str(element.get("quality", "")))
    if quality is None:
        return RowError(location, "quality", "unknown quality", start)
    return ParsedReading(meter, flow, start, duration_s, wh, quality, location)
