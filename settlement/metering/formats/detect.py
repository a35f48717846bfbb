"""Return which meter data format a file is, from its first bytes, and its parser."""

import io
from typing import BinaryIO

from settlement.metering.formats import canonical_csv, espi_xml, ocpp, pge_csv, sce_csv
from settlement.metering.formats.base import FileRejected, Parser

FORMATS: dict[str, Parser] = {
    "espi-xml": espi_xml.parse,
    "pge-csv": pge_csv.parse,
    "sce-csv": sce_csv.parse,
    "canonical-csv": canonical_csv.parse,
    "ocpp": ocpp.parse,
}
HEAD_BYTES = 8192
_CANONICAL_HEADER = ",".join(canonical_csv.HEADER)


def detect_format(head: bytes) -> str:
    """Return the FORMATS key for a file whose first bytes (a few KB) are `head`.

    Raises FileRejected naming what was seen when no format matches, with a specific
    message for a utility billing-history CSV.
    """
    if not head:
        raise FileRejected("the file is empty (0 bytes)", code="empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            "the file is UTF-16 text; save it as UTF-8 and upload again", code="encoding"
        )
    if b"\x00" in head:
        raise FileRejected("the file is binary (it holds NUL bytes), not text", code="binary")
    text = _decode_head(head).lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        if "naesb.org/espi" in text or "IntervalBlock" in text or "UsagePoint" in text:
            return "espi-xml"
        raise FileRejected(
            f"an XML file that is not a Green Button (ESPI) feed: it starts {_quote(text)}",
            code="unknown_format",
        )
    if text.startswith(("[", "{")):
        if "meterValue" in text or "MeterValues" in text:
            return "ocpp"
        raise FileRejected(
            f"a JSON file that is not an OCPP MeterValues log: it starts {_quote(text)}",
            code="unknown_format",
        )
    lines = [line.strip() for line in text.splitlines()]
    if lines[0].startswith("meter_id,"):
        return "canonical-csv"  # the parser names any difference from the exact header
    upper = [line.upper().replace("\xa0", " ") for line in lines]
    if any(_is_billing_header(line) for line in upper):
        raise FileRejected(pge_csv.BILLING_HISTORY, code="billing_history")
    if any(line.startswith("TYPE,DATE,START TIME,END TIME") for line in upper):
        return "pge-csv"
    if any("TIME PERIOD" in line and line.startswith("ENERGY") for line in upper):
        return "sce-csv"
    if any(line.startswith("ENERGY USAGE INFORMATION") for line in upper):
        return "sce-csv"
    raise FileRejected(
        f"not a meter data format this service reads (Green Button XML, PG&E or SCE "
        f"interval CSV, canonical CSV, OCPP JSON): it starts {_quote(text)}",
        code="unknown_format",
    )


def sniff(stream: BinaryIO) -> str:
    """Return the format of a seekable file from its first bytes, leaving it where it was.

    Raises FileRejected as detect_format does.
    """
    head = stream.read(HEAD_BYTES)
    stream.seek(-len(head), io.SEEK_CUR)
    return detect_format(head)


def _is_billing_header(line: str) -> bool:
    """Return whether a line is the header of a billing-history CSV (one row per bill)."""
    cells = [cell.strip() for cell in line.split(",")]
    has_bill_period = "START DATE" in cells and "END DATE" in cells
    return has_bill_period and "START TIME" not in cells


def _decode_head(head: bytes) -> str:
    """Return the head as text; reject bytes that are not UTF-8 (a cut last char is fine)."""
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3 and error.reason == "unexpected end of data":
            return head[: error.start].decode("utf-8")
        bad = head[error.start : error.start + 1].hex().upper()
        raise FileRejected(
            f"the file is not UTF-8 text (byte 0x{bad} at offset {error.start}); "
            "save it as UTF-8 and upload again",
            code="encoding",
        ) from None


def _quote(text: str) -> str:
    """Return the first line of text, shortened, quoted for a message."""
    first = text.splitlines()[0] if text else ""
    return repr(first[:60])
