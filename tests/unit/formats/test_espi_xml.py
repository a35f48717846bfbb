"""Tests for the Green Button (ESPI) parser against real samples and hand-built feeds."""

import io
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from settlement.metering.formats import espi_xml
from settlement.metering.formats.base import FileRejected, Flow, ParsedReading, RowError
from settlement.metering.formats.quality import Quality
from tests.unit.formats.one_way import one_way

SAMPLES = Path(__file__).parents[2] / "fixtures" / "samples" / "greenbutton"
METER_DATA = Path(__file__).parents[2] / "fixtures" / "meter_data"
UTILITY = "https://utility.example/DataCustodian/espi/1_1/resource"


def parse_file(path, **options):
    with path.open("rb") as stream:
        return list(espi_xml.parse(stream, **options))


def test_nine_day_sample_gives_216_hourly_import_readings():
    items = parse_file(SAMPLES / "gba_hourly_nine_days.xml")

    # 9 IntervalBlocks of 24 IntervalReadings each: 9 x 24 = 216.
    assert len(items) == 216
    assert all(isinstance(item, ParsedReading) for item in items)
    assert {(item.flow, item.duration_s, item.quality) for item in items} == {
        (Flow.IMPORT, 3600, Quality.ACTUAL)
    }


def test_nine_day_sample_first_day_sums_to_the_hand_counted_wh():
    items = parse_file(SAMPLES / "gba_hourly_nine_days.xml")
    first_day = [
        item
        for item in items
        if datetime(2014, 1, 1, 5, tzinfo=UTC) <= item.start < datetime(2014, 1, 2, 5, tzinfo=UTC)
    ]

    # IntervalBlock 177 (interval start 1388552400 = 2014-01-01T05:00Z, local midnight at
    # tzOffset -18000) holds, hour by hour:
    # 273 x5, 819, 1365 x4, 819 x7, 1092, 1365 x4, 819, 273
    # = 273 x 6 + 819 x 9 + 1365 x 8 + 1092 = 1638 + 7371 + 10920 + 1092 = 21021 Wh.
    assert len(first_day) == 24
    assert sum(item.wh for item in first_day) == 21021
    assert first_day[0].source == "entry 5 IntervalBlock 1 reading 1"


def test_sample_meter_id_is_the_usage_point_self_href_when_the_caller_gives_none():
    items = parse_file(SAMPLES / "gba_hourly_nine_days.xml")

    usage_point = (
        "https://services.greenbuttondata.org/DataCustodian/espi/1_1/resource/"
        "RetailCustomer/2/UsagePoint/2"
    )
    assert {item.meter_id for item in items} == {usage_point}


def test_callers_meter_id_wins_over_the_usage_point():
    items = parse_file(SAMPLES / "gba_hourly_nine_days.xml", meter_id="SITE-7")

    assert {item.meter_id for item in items} == {"SITE-7"}


def test_containerized_sample_gives_its_eight_readings():
    items = parse_file(SAMPLES / "gba_abridged_containerized.xml")

    # Two blocks of 4: 450 + 430 + 418 + 410 = 1708 and 595 + 591 + 611 + 581 = 2378.
    assert [item.wh for item in items] == [450, 430, 418, 410, 595, 591, 611, 581]
    assert sum(item.wh for item in items) == 4086
    assert items[0].start == datetime(2011, 1, 1, 8, tzinfo=UTC)


def test_year_long_sample_streams_8760_readings():
    items = parse_file(SAMPLES / "gba_desert_single_family_2011_hourly.xml")

    assert len(items) == 8760
    assert items[0].start == datetime(2011, 1, 1, 8, tzinfo=UTC)
    assert items[-1].start == datetime(2012, 1, 1, 7, tzinfo=UTC)


def test_prefixed_feed_gives_export_readings_with_a_reading_type_after_the_blocks():
    items = parse_file(METER_DATA / "espi_export_prefixed.xml")
    export = [item for item in items if item.flow is Flow.EXPORT]
    imported = [item for item in items if item.flow is Flow.IMPORT]

    assert [item.wh for item in export] == [1200, 1350, 0, 980]
    # 1200 + 1350 + 0 + 980 = 3530 Wh exported; 300 + 310 + 320 + 330 = 1260 Wh imported.
    assert sum(item.wh for item in export) == 3530
    assert sum(item.wh for item in imported) == 1260
    assert [item.quality for item in export] == [
        Quality.ACTUAL,
        Quality.ESTIMATED,  # code 8
        Quality.ACTUAL,  # code 14, unvalidated
        Quality.SUSPECT,  # codes 7 and 10: the more doubtful wins
    ]
    assert [item.start for item in export] == [
        datetime(2024, 5, 22, 0, minute, tzinfo=UTC) for minute in (0, 15, 30, 45)
    ]
    assert {item.meter_id for item in items} == {f"{UTILITY}/RetailCustomer/9/UsagePoint/1"}


def test_ns0_prefixes_read_the_same_as_espi_prefixes():
    text = (METER_DATA / "espi_export_prefixed.xml").read_text()
    renamed = text.replace("xmlns:espi=", "xmlns:ns0=").replace("espi:", "ns0:")

    items = list(espi_xml.parse(io.BytesIO(renamed.encode())))

    assert sum(item.wh for item in items if item.flow is Flow.EXPORT) == 3530


def test_default_namespace_feed_without_time_periods_places_readings_consecutively():
    items = parse_file(METER_DATA / "espi_export_default_ns_no_timeperiod.xml")

    # Values are tenths of a Wh (powerOfTenMultiplier -1), rounded half-even to the Wh:
    # 1234.5 -> 1234, 1235.5 -> 1236, 2000.0 -> 2000, 0.7 -> 1.
    assert [item.wh for item in items] == [1234, 1236, 2000, 1]
    assert [item.start for item in items] == [
        datetime(2024, 5, 22, hour, tzinfo=UTC) for hour in range(4)
    ]
    assert {(item.flow, item.duration_s, item.meter_id) for item in items} == {
        (Flow.EXPORT, 3600, None)
    }


def test_a_block_no_meter_reading_links_to_is_one_row_error_not_silence():
    text = (METER_DATA / "espi_export_default_ns_no_timeperiod.xml").read_text()
    orphaned = text.replace("/MeterReading/7/IntervalBlock", "/MeterReading/8/IntervalBlock")

    items = list(espi_xml.parse(io.BytesIO(orphaned.encode())))

    assert len(items) == 1
    assert isinstance(items[0], RowError)
    assert items[0].location == "entry 3 IntervalBlock 1"
    assert items[0].reason.startswith("4 readings skipped: no MeterReading")


def test_a_power_reading_type_is_refused_with_its_reason():
    text = (METER_DATA / "espi_export_default_ns_no_timeperiod.xml").read_text()
    power = text.replace("<uom>72</uom>", "<uom>38</uom>")

    items = list(espi_xml.parse(io.BytesIO(power.encode())))

    assert [type(item) for item in items] == [RowError]
    assert "uom 38 (W) is power, not energy" in items[0].reason


def test_a_cumulative_reading_type_is_refused_as_not_interval_energy():
    text = (METER_DATA / "espi_export_default_ns_no_timeperiod.xml").read_text()
    register = text.replace("<accumulationBehaviour>4<", "<accumulationBehaviour>1<")

    items = list(espi_xml.parse(io.BytesIO(register.encode())))

    assert "accumulationBehaviour 1 (bulkQuantity)" in items[0].reason


def test_a_feed_without_interval_blocks_is_rejected():
    feed = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title></entry></feed>'

    with pytest.raises(FileRejected) as rejected:
        espi_xml.parse(io.BytesIO(feed))

    assert rejected.value.code == "no_readings"


def test_a_non_seekable_stream_is_spooled_for_the_second_pass():
    data = (METER_DATA / "espi_export_prefixed.xml").read_bytes()
    items = list(espi_xml.parse(one_way(data)))

    assert len(items) == 8


def test_parse_keeps_no_readings_in_memory_across_large_blocks():
    # Given 10 blocks of 2,000 readings (20,000 readings), a parser that kept elements or
    # readings would hold several MB; streaming keeps the peak far below that.
    text = (METER_DATA / "espi_export_default_ns_no_timeperiod.xml").read_text()
    readings = "".join(
        f"<IntervalReading><value>{i % 10}0</value></IntervalReading>" for i in range(2000)
    )
    first = text.index("<IntervalReading>")
    last = text.rindex("</IntervalReading>") + len("</IntervalReading>")
    entry_start = text.rindex("<entry>", 0, first)
    entry_end = text.index("</entry>", last) + len("</entry>")
    entry = text[entry_start:first] + readings + text[last:entry_end]
    feed = text[:entry_start] + entry * 10 + text[entry_end:]

    tracemalloc.start()
    count = total = 0
    for item in espi_xml.parse(io.BytesIO(feed.encode())):
        count += 1
        total += item.wh
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Values 00, 10, ..., 90 tenths of a Wh = 0..9 Wh, 200 times per block of 2,000:
    # 45 x 200 x 10 blocks = 90,000 Wh.
    assert (count, total) == (20_000, 90_000)
    assert peak < 1_500_000
