"""Tests for the OCPP MeterValues parser: register differencing, resets, units."""

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from settlement.metering.formats import ocpp
from settlement.metering.formats.base import FileRejected, Flow, ParseNotes, RowError
from settlement.metering.formats.quality import Quality

METER_DATA = Path(__file__).parents[2] / "fixtures" / "meter_data"
START = datetime(2024, 1, 1, tzinfo=UTC)
QUARTER_HOUR = timedelta(minutes=15)


def parse_file(name, **options):
    with (METER_DATA / name).open("rb") as stream:
        return list(ocpp.parse(stream, **options))


def parse_json(document, **options):
    return list(ocpp.parse(io.BytesIO(json.dumps(document).encode()), **options))


def clock_read(minute, value, **fields):
    sample = {"value": value, "context": "Sample.Clock"}
    sample.update(fields)
    return {
        "connectorId": 1,
        "meterValue": [{"timestamp": f"2024-05-22T17:{minute:02d}:00Z", "sampledValue": [sample]}],
    }


def test_ocpp16_export_register_differences_with_a_reset_marked_missing():
    notes = ParseNotes()
    items = parse_file("ocpp16_export_register_reset.json", meter_id="CP-1", notes=notes)
    export = [item for item in items if item.flow is Flow.EXPORT]

    # Clock reads 1000, 1250, 1.600 kWh = 1600, 50 (reset), 300 Wh; the Sample.Periodic
    # 1100 at 17:07:30 is not differenced. Deltas: 250, 350, reset, 250.
    assert [(item.start.minute, item.wh, item.quality) for item in export] == [
        (0, 250, Quality.ACTUAL),
        (15, 350, Quality.ACTUAL),
        (30, 0, Quality.MISSING),
        (45, 250, Quality.ACTUAL),
    ]
    assert "register went down from 1600 to 50 Wh" in export[2].source
    assert {item.meter_id for item in items} == {"CP-1"}
    assert {item.duration_s for item in items} == {900}
    assert notes.ignored["register value not clock-aligned (context is not Sample.Clock)"] == 1
    assert notes.ignored["measurand Voltage (not energy)"] == 1


def test_ocpp16_default_measurand_is_the_import_register():
    items = parse_file("ocpp16_export_register_reset.json", meter_id="CP-1")
    imported = [item for item in items if item.flow is Flow.IMPORT]

    # Import reads 5000 (no measurand: the default), 5000, 5100, 5100, 5100: 0, 100, 0, 0.
    assert [item.wh for item in imported] == [0, 100, 0, 0]
    assert imported[0].start == datetime(2024, 5, 22, 17, tzinfo=UTC)


def test_ocpp201_kwh_and_multiplier_are_exact_and_rounded_half_even():
    notes = ParseNotes()
    items = parse_file("ocpp201_kwh_multiplier.json", meter_id="CP-1", notes=notes)
    export = [item for item in items if getattr(item, "flow", None) is Flow.EXPORT]

    # Register: 100.0000 kWh = 100,000 Wh; 100.2505 kWh = 100,250.5 -> 100,250 (even);
    # 100.7515 kWh = 100,751.5 -> 100,752 (even); 1010 kWh x 10^-1 = 101,000 Wh.
    # Deltas 250, 502, 248 telescope to 101,000 - 100,000 = 1,000 Wh.
    assert [item.wh for item in export] == [250, 502, 248]
    assert notes.ignored["signedMeterValue present but not verified"] == 1
    assert notes.ignored["per-phase energy value (the all-phase value is used)"] == 1


def test_ocpp201_interval_energy_covers_the_time_since_the_previous_value():
    items = parse_file("ocpp201_kwh_multiplier.json", meter_id="CP-1")

    # The first Import.Interval value (0.5 kWh at 18:00) has no known start: a row error.
    assert items[0] == RowError(
        "message 1 meterValue 1 sample 2",
        "timestamp",
        "first interval value of the log: its timestamp ends the interval and the start is "
        "unknown (the ClockAlignedDataInterval is not in the file)",
    )
    imported = [item for item in items if getattr(item, "flow", None) is Flow.IMPORT]
    assert [(item.start, item.duration_s, item.wh) for item in imported] == [
        (datetime(2024, 5, 22, 18, tzinfo=UTC), 900, 250)
    ]


def test_a_second_connector_is_refused_per_message():
    document = [clock_read(0, "1"), {**clock_read(15, "2"), "connectorId": 2}]

    items = parse_json(document)

    assert items == [
        RowError(
            "message 2",
            "connectorId",
            "the log also carries connector/EVSE 2 besides 1; ingest one connector per file",
        )
    ]


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ("NaN", "value", "'NaN' is not a finite number"),
        ("1e30", "value", "1E+30E0 Wh is beyond the plausible 1000000000000000 Wh"),
        (True, "value", "'True' is not a number"),
    ],
)
def test_implausible_values_are_row_errors(value, field, reason):
    items = parse_json([clock_read(0, value)])

    assert items == [RowError("message 1 meterValue 1 sample 1", field, reason)]


def test_a_nan_literal_is_a_row_error_not_a_crash():
    document = (
        b'[{"evseId": 1, "meterValue": [{"timestamp": "2024-05-22T17:00:00Z", '
        b'"sampledValue": [{"value": NaN, "context": "Sample.Clock"}]}]}]'
    )

    items = list(ocpp.parse(io.BytesIO(document)))

    assert items == [
        RowError("message 1 meterValue 1 sample 1", "value", "NaN is not a finite number")
    ]


def test_an_unknown_unit_and_a_naive_timestamp_are_row_errors():
    naive = clock_read(0, "1")
    naive["meterValue"][0]["timestamp"] = "2024-05-22T17:00:00"

    items = parse_json([clock_read(0, "1", unit="varh"), naive])

    assert [(item.field, item.reason) for item in items] == [
        ("unit", "'varh' is not Wh or kWh"),
        ("timestamp", "'2024-05-22T17:00:00' has no UTC offset"),
    ]


def test_a_register_read_out_of_order_is_a_row_error():
    items = parse_json([clock_read(0, "100"), clock_read(15, "200"), clock_read(10, "150")])

    assert items[0].wh == 100
    assert items[1] == RowError(
        "message 3 meterValue 1 sample 1",
        "timestamp",
        "not after the previous clock read (message 2 meterValue 1 sample 1)",
    )


def test_a_large_log_streams_one_message_at_a_time():
    # 5,000 quarter-hour reads rising 10 Wh each: 4,999 intervals of 10 Wh.
    messages = ",".join(
        json.dumps(
            [
                2,
                str(index),
                "MeterValues",
                {
                    "connectorId": 1,
                    "meterValue": [
                        {
                            "timestamp": (START + index * QUARTER_HOUR).isoformat(),
                            "sampledValue": [{"value": str(10 * index), "context": "Sample.Clock"}],
                        }
                    ],
                },
            ]
        )
        for index in range(5_000)
    )

    items = list(ocpp.parse(io.BytesIO(f"[{messages}]".encode())))

    assert len(items) == 4_999
    assert {item.wh for item in items} == {10}


@pytest.mark.parametrize(
    "document",
    [b'[{"connectorId": 1, "meterValue": [', b"[1, 2", b"[{}],", b"[{},]"],
)
def test_truncated_or_malformed_json_is_rejected(document):
    with pytest.raises(FileRejected) as rejected:
        list(ocpp.parse(io.BytesIO(document)))

    assert rejected.value.code == "malformed"
