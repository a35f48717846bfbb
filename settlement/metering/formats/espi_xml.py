"""Parse Green Button (NAESB ESPI) Atom feeds in two safe, streaming passes."""

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml import ElementTree as SafeElementTree

from settlement.metering.formats import energy, quality
from settlement.metering.formats.base import (
    FileRejected,
    Flow,
    Item,
    ParsedReading,
    ParseNotes,
    RowError,
)

_METADATA_KINDS = frozenset({"UsagePoint", "MeterReading", "ReadingType", "LocalTimeParameters"})
_FLOWS = {1: Flow.IMPORT, 19: Flow.EXPORT, 4: Flow.NET, 20: Flow.TOTAL}
_UOM_WH = 72
_UOM_W = 38
# accumulationBehaviour values whose readings are register or instantaneous values, not
# the energy of each interval: summing them would book the same energy many times over.
_NOT_INTERVAL_ENERGY = {
    1: "bulkQuantity",
    2: "continuousCumulative",
    3: "cumulative",
    6: "indicating",
    12: "instantaneous",
}
# Elements dropped from the tree once handled, so memory stays flat however long the feed.
_DROP_WHEN_DONE = frozenset({"IntervalReading", "entry"})
_SPOOL_IN_MEMORY_BYTES = 8 << 20


@dataclass(slots=True)
class _Entry:
    """The links and content of one Atom entry, as pass 1 records them."""

    kind: str | None = None
    self_href: str | None = None
    up_href: str | None = None
    related: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Channel:
    """What turning one IntervalBlock's readings into ParsedReadings needs."""

    meter_id: str | None
    flow: Flow
    power_of_ten: int
    interval_length: int | None


def parse(
    stream: BinaryIO,
    *,
    timezone: str | None = None,
    meter_id: str | None = None,
    notes: ParseNotes | None = None,
) -> Iterator[Item]:
    """Return readings and row errors of an ESPI feed, in document order.

    `timezone` is unused: ESPI times are UTC epoch seconds. Without `meter_id`, a reading's
    meter_id is its UsagePoint's self href (None if no UsagePoint links to it). Pass 1 runs
    here, so FileRejected (malformed or truncated XML, a DTD or entity, no IntervalBlock)
    is raised by this call, before anything is yielded.
    """
    notes = notes if notes is not None else ParseNotes()
    notes.meter_id_source = "caller" if meter_id is not None else "UsagePoint self href"
    if stream.seekable():
        return _two_passes(stream, meter_id=meter_id, owned=False)
    # A one-way stream is copied to a spool (memory, then disk) so it can be read twice.
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return _two_passes(spool, meter_id=meter_id, owned=True)


def _two_passes(stream: IO[bytes], *, meter_id: str | None, owned: bool) -> Iterator[Item]:
    """Run pass 1 now and return pass 2; close `stream` afterwards when it is `owned`."""
    origin = stream.tell()
    try:
        entries, block_links = _read_metadata(stream)
        if not block_links:
            raise FileRejected("the XML holds no ESPI IntervalBlock", code="no_readings")
        channels = _channels(entries, block_links, meter_id=meter_id)
        stream.seek(origin)
    except FileRejected:
        if owned:
            stream.close()
        raise
    return _readings(stream, channels=channels, owned=owned)


def _walk(stream: IO[bytes]) -> Iterator[tuple[str, str, Element, str]]:
    """Return (event, local name, element, parent's local name) for every element.

    DTDs are forbidden outright (ESPI needs none), which stops entity expansion and
    external entities before anything is expanded or fetched.
    """
    stack: list[Element] = []
    try:
        for event, element in SafeElementTree.iterparse(
            stream, events=("start", "end"), forbid_dtd=True
        ):
            name = _local(element.tag)
            if event == "start":
                parent = _local(stack[-1].tag) if stack else ""
                stack.append(element)
                yield event, name, element, parent
                continue
            stack.pop()
            parent = _local(stack[-1].tag) if stack else ""
            yield event, name, element, parent
            if name in _DROP_WHEN_DONE and stack:
                stack[-1].remove(element)
    except defusedxml.DefusedXmlException as error:
        raise FileRejected(
            f"the XML declares a DTD or entities, which a Green Button feed never needs "
            f"and which are refused for safety ({type(error).__name__})",
            code="xml_forbidden",
        ) from None
    except ParseError as error:
        raise FileRejected(
            f"the XML is malformed or truncated ({error})", code="malformed"
        ) from None


def _read_metadata(stream: IO[bytes]) -> tuple[list[_Entry], dict[int, tuple[str, ...]]]:
    """Return pass 1: the metadata entries, and each IntervalBlock entry's links by index."""
    entries: list[_Entry] = []
    block_links: dict[int, tuple[str, ...]] = {}
    interned: dict[str, str] = {}
    entry = _Entry()
    index = 0
    for event, name, element, parent in _walk(stream):
        if event == "start":
            if name == "entry":
                index += 1
                entry = _Entry()
            continue
        if name == "link" and parent == "entry":
            _add_link(entry, element)
        elif parent == "content" and (name in _METADATA_KINDS or name == "IntervalBlock"):
            entry.kind = name
            if name == "ReadingType":
                entry.fields = {_local(child.tag): (child.text or "").strip() for child in element}
        elif name == "entry":
            if entry.kind == "IntervalBlock":
                # Many blocks share one up href: keep one copy of each string.
                hrefs = (entry.up_href or "", entry.self_href or "")
                block_links[index] = tuple(interned.setdefault(h, h) for h in hrefs)
            elif entry.kind is not None:
                entries.append(entry)
    return entries, block_links


def _add_link(entry: _Entry, element: Element) -> None:
    """Record one Atom link of an entry by its rel."""
    rel, href = element.get("rel"), (element.get("href") or "").strip()
    if rel == "self":
        entry.self_href = href
    elif rel == "up":
        entry.up_href = href
    elif rel == "related":
        entry.related.append(href)


def _channels(
    entries: list[_Entry], block_links: dict[int, tuple[str, ...]], *, meter_id: str | None
) -> dict[int, _Channel | str]:
    """Return, per IntervalBlock entry index, its channel or the reason it has none."""
    meter_readings = [e for e in entries if e.kind == "MeterReading" and e.self_href]
    reading_types = {
        e.self_href: e for e in entries if e.kind == "ReadingType" and e.self_href is not None
    }
    usage_points = [e for e in entries if e.kind == "UsagePoint" and e.self_href]
    resolved: dict[tuple[str, ...], _Channel | str] = {}
    channels: dict[int, _Channel | str] = {}
    for index, links in block_links.items():
        if links not in resolved:
            reading = _meter_reading_of(links, meter_readings)
            if reading is None:
                resolved[links] = f"no MeterReading in the feed links to this block ({links[0]})"
            else:
                resolved[links] = _channel(reading, reading_types, usage_points, meter_id=meter_id)
        channels[index] = resolved[links]
    return channels


def _meter_reading_of(links: tuple[str, ...], meter_readings: list[_Entry]) -> _Entry | None:
    """Return the MeterReading a block belongs to, matching hrefs as opaque strings."""
    up_href, self_href = links
    for reading in meter_readings:
        if up_href and up_href in reading.related:
            return reading
    for reading in meter_readings:
        prefix = f"{reading.self_href}/"
        if up_href.startswith(prefix) or (not up_href and self_href.startswith(prefix)):
            return reading
    return None


def _channel(
    reading: _Entry,
    reading_types: dict[str, _Entry],
    usage_points: list[_Entry],
    *,
    meter_id: str | None,
) -> _Channel | str:
    """Return the channel described by a MeterReading's ReadingType, or why it is unusable."""
    reading_type = next((reading_types[h] for h in reading.related if h in reading_types), None)
    if reading_type is None:
        return f"MeterReading {reading.self_href} links to no ReadingType in the feed"
    fields = reading_type.fields
    try:
        direction = int(fields.get("flowDirection", ""))
        uom = int(fields.get("uom", ""))
        power_of_ten = int(fields.get("powerOfTenMultiplier") or 0)
        accumulation = int(fields.get("accumulationBehaviour") or 0)
        interval_text = fields.get("intervalLength")
        interval_length = int(interval_text) if interval_text else None
    except ValueError:
        return f"ReadingType {reading_type.self_href} lacks an integer flowDirection or uom"
    problems = [
        (direction not in _FLOWS, f"flowDirection {direction} is not 1, 19, 4 or 20"),
        # Average power is not energy unless the feed says how it was averaged, which
        # ESPI does not: W readings are refused rather than guessed into Wh.
        (uom == _UOM_W, "uom 38 (W) is power, not energy; only Wh (uom 72) is booked"),
        (uom not in (_UOM_W, _UOM_WH), f"uom {uom} is not Wh (72)"),
        (
            accumulation in _NOT_INTERVAL_ENERGY,
            (
                f"accumulationBehaviour {accumulation} "
                f"({_NOT_INTERVAL_ENERGY.get(accumulation)}) is not energy per interval"
            ),
        ),
        (not -30 <= power_of_ten <= 30, f"powerOfTenMultiplier {power_of_ten} is implausible"),
        (
            interval_length is not None and interval_length <= 0,
            f"intervalLength {interval_length} is not positive",
        ),
    ]
    problem = next((reason for failed, reason in problems if failed), None)
    if problem is not None:
        return f"ReadingType {reading_type.self_href}: {problem}"
    return _Channel(
        meter_id=meter_id if meter_id is not None else _usage_point_of(reading, usage_points),
        flow=_FLOWS[direction],
        power_of_ten=power_of_ten,
        interval_length=interval_length,
    )


def _usage_point_of(reading: _Entry, usage_points: list[_Entry]) -> str | None:
    """Return the self href of the UsagePoint a MeterReading belongs to, if any."""
    for point in usage_points:
        linked = reading.up_href is not None and reading.up_href in point.related
        if linked or (reading.self_href or "").startswith(f"{point.self_href}/"):
            return point.self_href
    return None


def _readings(
    stream: IO[bytes], *, channels: dict[int, _Channel | str], owned: bool
) -> Iterator[Item]:
    """Return pass 2: every IntervalReading as a reading or a row error."""
    try:
        yield from _pass_two(stream, channels=channels)
    finally:
        if owned:
            stream.close()


def _pass_two(stream: IO[bytes], *, channels: dict[int, _Channel | str]) -> Iterator[Item]:
    """Return the items of every IntervalBlock, in document order."""
    entry_index = block_number = reading_number = skipped = 0
    channel: _Channel | str = ""
    cursor: int | None = None
    for event, name, element, parent in _walk(stream):
        if event == "start":
            if name == "entry":
                entry_index += 1
                block_number = 0
            elif name == "IntervalBlock":
                block_number += 1
                reading_number = skipped = 0
                cursor = None
                channel = channels.get(entry_index, "the block is not inside an Atom entry")
            continue
        if name == "interval" and parent == "IntervalBlock":
            cursor = _integer(_child_text(element, "start"))
        elif name == "IntervalReading" and parent == "IntervalBlock":
            reading_number += 1
            if isinstance(channel, str):
                skipped += 1
                continue
            location = f"entry {entry_index} IntervalBlock {block_number} reading {reading_number}"
            item, cursor = _reading(element, channel=channel, cursor=cursor, location=location)
            yield item
        elif name == "IntervalBlock" and skipped:
            yield RowError(
                f"entry {entry_index} IntervalBlock {block_number}",
                "ReadingType",
                f"{skipped} readings skipped: {channel}",
            )


def _reading(
    element: Element, *, channel: _Channel, cursor: int | None, location: str
) -> tuple[Item, int | None]:
    """Return one IntervalReading's item, and where the next reading without a period starts."""
    period = _child(element, "timePeriod")
    if period is not None:
        start = _integer(_child_text(period, "start"))
        duration = _integer(_child_text(period, "duration"))
    else:
        start, duration = cursor, channel.interval_length
    if start is None or duration is None:
        reason = "no timePeriod, and no block start or intervalLength to place the reading"
        return RowError(location, "timePeriod", reason), None
    if duration <= 0:
        return RowError(location, "timePeriod", f"duration {duration} is not positive"), None
    following = start + duration
    try:
        start_at = datetime.fromtimestamp(start, UTC)
        datetime.fromtimestamp(following, UTC)
    except (OverflowError, OSError, ValueError):
        return RowError(location, "timePeriod", f"start {str(start)[:20]} is out of range"), None
    codes = [
        _child_text(child, "quality") for child in element if _local(child.tag) == "ReadingQuality"
    ]
    qualities = [quality.from_espi(code) for code in map(_integer, codes) if code is not None]
    if len(qualities) != len(codes) or None in qualities:
        return (
            RowError(location, "ReadingQuality", f"unknown quality code in {codes}", start_at),
            following,
        )
    try:
        wh = energy.text_to_wh(_child_text(element, "value"), power_of_ten=channel.power_of_ten)
    except energy.EnergyValueError as error:
        return RowError(location, "value", str(error), start_at), following
    reading_quality = quality.worst([q for q in qualities if q is not None])
    reading = ParsedReading(
        channel.meter_id, channel.flow, start_at, duration, wh, reading_quality, location
    )
    return reading, following


def _child(element: Element, name: str) -> Element | None:
    """Return the first child with this local name, whatever its namespace."""
    return next((child for child in element if _local(child.tag) == name), None)


def _child_text(element: Element, name: str) -> str:
    """Return the stripped text of the first child with this local name ('' if none)."""
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _integer(text: str) -> int | None:
    """Return the integer written in `text`, or None."""
    try:
        return int(text)
    except ValueError:
        return None


def _local(tag: Any) -> str:
    """Return an element tag without its namespace."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
