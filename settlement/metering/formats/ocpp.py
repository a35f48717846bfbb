"""Parse OCPP 1.6J / 2.0.1 MeterValues JSON into interval energy of a charger's sub-meter."""

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from settlement.metering.formats import energy
from settlement.metering.formats.base import (
    FileRejected,
    Flow,
    Item,
    ParsedReading,
    ParseNotes,
    RowError,
)
from settlement.metering.formats.quality import Quality

_MEASURANDS: dict[str, tuple[Flow, bool]] = {
    "Energy.Active.Export.Register": (Flow.EXPORT, True),
    "Energy.Active.Import.Register": (Flow.IMPORT, True),
    "Energy.Active.Export.Interval": (Flow.EXPORT, False),
    "Energy.Active.Import.Interval": (Flow.IMPORT, False),
}
_DEFAULT_MEASURAND = "Energy.Active.Import.Register"
_CLOCK = "Sample.Clock"
_UNIT_POWERS = {"Wh": 0, "kWh": 3}
_CHUNK_CHARS = 1 << 16
# One MeterValues message is a few KB; a larger element is hostile or not OCPP.
_MAX_ELEMENT_CHARS = 16 << 20


@dataclass(frozen=True, slots=True)
class _Sample:
    """The last clock-aligned value of one series, that the next one is measured from."""

    at: datetime
    wh: int
    location: str


def parse(
    stream: BinaryIO,
    *,
    timezone: str | None = None,
    meter_id: str | None = None,
    notes: ParseNotes | None = None,
) -> Iterator[Item]:
    """Return readings and row errors of an OCPP MeterValues log, message by message.

    The JSON is a list of MeterValues payloads or of OCPP-J frames (only
    `[2, id, "MeterValues", payload]` is read), streamed element by element. The JSON names
    no meter: every reading carries `meter_id` (the charge point), and the log must hold
    one connector/EVSE. `timezone` is unused (OCPP timestamps carry offsets).
    Raises FileRejected for a file that is not a JSON array or object of messages.
    """
    notes = notes if notes is not None else ParseNotes()
    notes.meter_id_source = "caller" if meter_id is not None else None
    return _items(_elements(stream), meter_id=meter_id, notes=notes)


def _items(elements: Iterator[Any], *, meter_id: str | None, notes: ParseNotes) -> Iterator[Item]:
    """Return the items of every message, keeping the state that differencing needs."""
    registers: dict[Flow, _Sample] = {}
    intervals: dict[Flow, datetime] = {}
    connector: int | None = None
    for number, element in enumerate(elements, 1):
        payload = _payload(element, number=number, notes=notes)
        if isinstance(payload, RowError) or payload is None:
            if payload is not None:
                yield payload
            continue
        this_connector = _connector(payload)
        if this_connector is None:
            yield RowError(f"message {number}", "connectorId", "neither connectorId nor evseId")
            continue
        if connector is None:
            connector = this_connector
        elif this_connector != connector:
            yield RowError(
                f"message {number}",
                "connectorId",
                f"the log also carries connector/EVSE {this_connector} besides {connector}; "
                "ingest one connector per file",
            )
            continue
        meter_values = payload.get("meterValue")
        if not isinstance(meter_values, list):
            yield RowError(f"message {number}", "meterValue", "missing or not a list")
            continue
        for index, meter_value in enumerate(meter_values, 1):
            yield from _meter_value(
                meter_value,
                location=f"message {number} meterValue {index}",
                registers=registers,
                intervals=intervals,
                meter_id=meter_id,
                notes=notes,
            )


def _payload(element: Any, *, number: int, notes: ParseNotes) -> dict[str, Any] | RowError | None:
    """Return the MeterValues payload of an element, None for another OCPP message."""
    if isinstance(element, dict):
        return element
    if isinstance(element, list) and element and element[0] in (2, 3, 4):
        if len(element) == 4 and element[2] == "MeterValues" and isinstance(element[3], dict):
            return element[3]
        notes.ignored["OCPP frame other than a MeterValues CALL"] += 1
        return None
    return RowError(f"message {number}", "message", "neither a MeterValues payload nor a frame")


def _connector(payload: dict[str, Any]) -> int | None:
    """Return the connectorId (1.6) or evseId (2.0.1) of a payload."""
    value = payload.get("connectorId", payload.get("evseId"))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _meter_value(
    meter_value: Any,
    *,
    location: str,
    registers: dict[Flow, _Sample],
    intervals: dict[Flow, datetime],
    meter_id: str | None,
    notes: ParseNotes,
) -> Iterator[Item]:
    """Return the items of one meterValue entry (one timestamp, several samples)."""
    if not isinstance(meter_value, dict) or not isinstance(meter_value.get("sampledValue"), list):
        yield RowError(location, "sampledValue", "missing or not a list")
        return
    at = _timestamp(meter_value.get("timestamp"))
    if isinstance(at, str):
        yield RowError(location, "timestamp", at)
        return
    for index, sample in enumerate(meter_value["sampledValue"], 1):
        here = f"{location} sample {index}"
        if not isinstance(sample, dict):
            yield RowError(here, "sampledValue", "not an object")
            continue
        kind = _energy_kind(sample, notes=notes)
        if kind is None:
            continue
        flow, is_register = kind
        wh = _sample_wh(sample)
        if isinstance(wh, tuple):
            yield RowError(here, *wh)
            continue
        if is_register:
            if sample.get("context", "Sample.Periodic") != _CLOCK:
                notes.ignored["register value not clock-aligned (context is not Sample.Clock)"] += 1
                continue
            item = _register_delta(registers, flow=flow, at=at, wh=wh, here=here, meter_id=meter_id)
        else:
            item = _interval(intervals, flow=flow, at=at, wh=wh, here=here, meter_id=meter_id)
        if item is not None:
            yield item


def _energy_kind(sample: dict[str, Any], *, notes: ParseNotes) -> tuple[Flow, bool] | None:
    """Return (flow, is_register) for a whole-meter energy sample; count anything else."""
    measurand = sample.get("measurand", _DEFAULT_MEASURAND)
    kind = _MEASURANDS.get(measurand) if isinstance(measurand, str) else None
    if kind is None:
        notes.ignored[f"measurand {str(measurand)[:60]} (not energy)"] += 1
        return None
    if "phase" in sample:
        notes.ignored["per-phase energy value (the all-phase value is used)"] += 1
        return None
    if sample.get("location", "Outlet") != "Outlet":
        notes.ignored[f"energy measured at location {str(sample.get('location'))[:20]}"] += 1
        return None
    if "signedMeterValue" in sample:
        notes.ignored["signedMeterValue present but not verified"] += 1
    return kind


def _sample_wh(sample: dict[str, Any]) -> int | tuple[str, str]:
    """Return a sample's value in integer Wh (exact, half-even), or why it has none."""
    unit_of_measure = sample.get("unitOfMeasure")
    if isinstance(unit_of_measure, dict):
        unit = unit_of_measure.get("unit", "Wh")
        multiplier = unit_of_measure.get("multiplier", 0)
    else:
        unit, multiplier = sample.get("unit", "Wh"), 0
    if unit not in _UNIT_POWERS:
        return ("unit", f"{str(unit)[:20]!r} is not Wh or kWh")
    if isinstance(multiplier, Decimal) and multiplier == multiplier.to_integral_value():
        multiplier = int(multiplier)
    if not isinstance(multiplier, int) or isinstance(multiplier, bool) or abs(multiplier) > 30:
        return ("multiplier", f"{str(multiplier)[:20]!r} is not a small integer")
    value = sample.get("value")
    try:
        if isinstance(value, str):
            number = energy.parse_decimal(value)
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            number = Decimal(value)
        else:
            return ("value", f"{str(value)[:20]!r} is not a number")
        return energy.to_wh(number, power_of_ten=_UNIT_POWERS[unit] + multiplier)
    except energy.EnergyValueError as error:
        return ("value", str(error))


def _register_delta(
    registers: dict[Flow, _Sample],
    *,
    flow: Flow,
    at: datetime,
    wh: int,
    here: str,
    meter_id: str | None,
) -> Item | None:
    """Return the energy since the previous clock-aligned register read of the flow."""
    previous = registers.get(flow)
    if previous is not None and at <= previous.at:
        return RowError(
            here, "timestamp", f"not after the previous clock read ({previous.location})"
        )
    registers[flow] = _Sample(at, wh, here)
    if previous is None:
        return None  # the first read only opens the epoch
    duration_s = int((at - previous.at).total_seconds())
    if wh < previous.wh:
        # A register never runs backwards: a reset or a replaced meter. The energy of the
        # interval is unknown, never the negative difference.
        reason = (
            f"{here}: register went down from {previous.wh} to {wh} Wh "
            "(reset or replaced meter); new epoch, interval energy unknown"
        )
        return ParsedReading(meter_id, flow, previous.at, duration_s, 0, Quality.MISSING, reason)
    source = f"{here} minus {previous.location}"
    return ParsedReading(
        meter_id, flow, previous.at, duration_s, wh - previous.wh, Quality.ACTUAL, source
    )


def _interval(
    intervals: dict[Flow, datetime],
    *,
    flow: Flow,
    at: datetime,
    wh: int,
    here: str,
    meter_id: str | None,
) -> Item:
    """Return an interval-energy sample, which covers the time since the flow's previous one."""
    previous = intervals.get(flow)
    if previous is not None and at <= previous:
        return RowError(here, "timestamp", f"not after the previous interval end {previous}")
    intervals[flow] = at
    if previous is None:
        return RowError(
            here,
            "timestamp",
            "first interval value of the log: its timestamp ends the interval and the "
            "start is unknown (the ClockAlignedDataInterval is not in the file)",
        )
    duration_s = int((at - previous).total_seconds())
    return ParsedReading(meter_id, flow, previous, duration_s, wh, Quality.ACTUAL, here)


def _timestamp(value: Any) -> datetime | str:
    """Return the aware UTC instant of an OCPP timestamp, or why it is not one."""
    if not isinstance(value, str):
        return "missing or not a string"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return f"{value[:40]!r} is not an ISO-8601 timestamp"
    if at.tzinfo is None:
        return f"{value[:40]!r} has no UTC offset"
    try:
        return at.astimezone(UTC)
    except OverflowError:
        return f"{value[:40]!r} is out of range in UTC"


def _elements(stream: BinaryIO) -> Iterator[Any]:
    """Return the top-level elements of a JSON array (or one object), read incrementally.

    Numbers are parsed as Decimal (exact, no float), NaN/Infinity as Decimal so they fail
    as values rather than as the file.
    """
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal)
    reader = _Text(stream)
    buffer, position = reader.more(""), 0
    position = _skip_space(buffer, position)
    if buffer.startswith("{", position):
        element, (buffer, position) = _decode(decoder, reader, buffer, position)
        _expect_end(reader, buffer[position:])
        yield element
        return
    if not buffer.startswith("[", position):
        raise FileRejected(
            "not an OCPP MeterValues log: expected a JSON array or object", code="unknown_format"
        )
    position += 1
    # What may come next: an element or "]" right after "[", "," or "]" after an element,
    # and only an element after a comma (a trailing comma is malformed).
    state = "opened"
    while True:
        buffer, position = reader.compact(buffer, position)
        position = _skip_space(buffer, position)
        if position >= len(buffer):
            grown = reader.more(buffer)
            if len(grown) == len(buffer):
                raise FileRejected(
                    "the JSON is truncated: the array never closes", code="malformed"
                )
            buffer = grown
            continue
        character = buffer[position]
        if state != "comma" and character == "]":
            _expect_end(reader, buffer[position + 1 :])
            return
        if state == "element":
            if character != ",":
                raise FileRejected(
                    f"the JSON is malformed near character {reader.offset + position}",
                    code="malformed",
                )
            position += 1
            state = "comma"
            continue
        element, (buffer, position) = _decode(decoder, reader, buffer, position)
        state = "element"
        yield element


def _expect_end(reader: "_Text", rest: str) -> None:
    """Check that only whitespace follows the closing bracket, reading to the end."""
    while True:
        if rest.strip(" \t\r\n"):
            raise FileRejected("the JSON has content after its closing bracket", code="malformed")
        rest = reader.more("")
        if not rest:
            return


def _decode(
    decoder: json.JSONDecoder, reader: "_Text", buffer: str, position: int
) -> tuple[Any, tuple[str, int]]:
    """Return the next JSON value and the buffer/position after it, reading more as needed."""
    while True:
        try:
            element, end = decoder.raw_decode(buffer, position)
        except json.JSONDecodeError as error:
            grown = reader.more(buffer)
            if len(grown) == len(buffer) or len(grown) - position > _MAX_ELEMENT_CHARS:
                raise FileRejected(
                    f"the JSON is malformed or truncated ({error.msg} near character "
                    f"{reader.offset + error.pos})",
                    code="malformed",
                ) from None
            buffer = grown
            continue
        except ValueError as error:
            raise FileRejected(
                f"the JSON holds an unreadable value ({error})", code="malformed"
            ) from None
        return element, (buffer, end)


class _Text:
    """Incrementally decoded UTF-8 text of a binary stream."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.offset = 0  # characters dropped from the front of the buffer so far
        self._started = False

    def more(self, buffer: str) -> str:
        """Return the buffer extended by the next chunk (at least as much as it holds)."""
        size = max(_CHUNK_CHARS, len(buffer))
        chunk = self._stream.read(size)
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise FileRejected("the file is not UTF-8 text", code="encoding") from None
        if not self._started:
            self._started = True
            if not chunk:
                raise FileRejected("the file is empty (0 bytes)", code="empty")
        if "\x00" in text:
            raise FileRejected("the file holds NUL bytes: binary, not JSON text", code="binary")
        return buffer + text

    def compact(self, buffer: str, position: int) -> tuple[str, int]:
        """Return the buffer without its consumed front, so memory stays bounded."""
        if position < _CHUNK_CHARS:
            return buffer, position
        self.offset += position
        return buffer[position:], 0


def _skip_space(buffer: str, position: int) -> int:
    """Return the position of the next non-whitespace character."""
    while position < len(buffer) and buffer[position] in " \t\r\n":
        position += 1
    return position
