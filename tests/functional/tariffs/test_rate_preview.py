"""Rate preview: the command, the staff API and the staff page on readings made here."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from settlement.metering.models import Reading, Upload
from tests.clients import signed_in
from tests.factories import ChannelFactory
from tests.tariff_imports import (
    LOS_ANGELES,
    URDB_FILE,
    import_tariff,
    urdb_rate,
    write_json,
)

pytestmark = pytest.mark.django_db
RECEIVED = datetime(2025, 8, 1, tzinfo=UTC)


def energy_line(label, kwh, price, amount):
    """Return the JSON of an export energy line: quantity is the kWh."""
    return {
        "label": label,
        "component": "export",
        "unit": "kWh",
        "quantity": kwh,
        "kwh": kwh,
        "price": price,
        "amount": amount,
    }


# The URDB sample in summer (June-September): weekdays 17:00-20:00 are "Jun-Sep peak" (sell
# 0.09217), every other hour "Jun-Sep off-peak" (sell 0.04123). 2025-07-15 is a Tuesday.
# Peak: 17:00-18:00 PDT = 2025-07-16 00:00-01:00Z, four quarter-hours of 500 Wh = 2.000 kWh;
#   2.000 x 0.09217 = 0.18434 -> $0.18.
# Off-peak: 10:00-11:00 PDT = 2025-07-15 17:00-18:00Z, one hour of 1500 Wh = 1.500 kWh;
#   1.500 x 0.04123 = 0.061845 -> $0.06.
# Total 0.18 + 0.06 = 0.24. Lines come in period order.
EXPECTED = {
    "tariff": "etou",
    "version": 1,
    "meter": "RM-1",
    "channel_kind": "SITE_EXPORT",
    "time_zone": LOS_ANGELES,
    "start": "2025-07-15",
    "end": "2025-07-16",
    "lines": [
        energy_line("Jun-Sep off-peak", "1.500", "0.04123", "0.06"),
        energy_line("Jun-Sep peak", "2.000", "0.09217", "0.18"),
    ],
    "total": "0.24",
    "parts": [{"version": 1, "start": "2025-07-15", "end": "2025-07-16"}],
    "notes": [],
}


def add_readings(channel, *rows):
    """Store current readings (UTC start, seconds, Wh) of `channel` from one upload."""
    upload = Upload.objects.create(
        file="metering/uploads/test.csv",
        size_bytes=0,
        sha256="0" * 64,
        target=channel.meter_id,
        received_at=RECEIVED,
    )
    for start, duration_s, wh in rows:
        Reading.objects.create(
            channel=channel,
            start=start,
            duration_s=duration_s,
            wh=wh,
            quality="ACTUAL",
            upload=upload,
            received_at=RECEIVED,
        )


@pytest.fixture
def export_channel():
    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    channel = ChannelFactory(meter_id="RM-1", kind="SITE_EXPORT")
    ChannelFactory(meter_id="RM-1", kind="SITE_IMPORT", site=channel.site)
    peak = datetime(2025, 7, 16, 0, tzinfo=UTC)
    add_readings(
        channel,
        *[(peak + timedelta(minutes=15 * n), 900, 500) for n in range(4)],
        (datetime(2025, 7, 15, 17, tzinfo=UTC), 3600, 1500),
        # 2025-07-16 10:00 PDT: the day after the range (end is exclusive), not priced.
        (datetime(2025, 7, 16, 17, tzinfo=UTC), 3600, 999),
    )
    return channel


def rate_preview(*args):
    out = StringIO()
    code = 0
    try:
        call_command("rate_preview", *args, stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


PREVIEW_ARGS = (
    "--tariff",
    "etou",
    "--meter",
    "RM-1",
    "--start",
    "2025-07-15",
    "--end",
    "2025-07-16",
)


def test_the_command_prices_the_export_channel_by_default(export_channel):
    code, result = rate_preview(*PREVIEW_ARGS)

    assert code == 0
    assert result == EXPECTED


def test_another_channel_kind_prices_that_channel(export_channel):
    code, result = rate_preview(*PREVIEW_ARGS, "--channel-kind", "SITE_IMPORT")

    assert code == 0
    assert (result["channel_kind"], result["lines"], result["total"]) == ("SITE_IMPORT", [], "0.00")


def test_a_range_spanning_two_versions_prices_each_part_with_its_own(tmp_path):
    open_rate = {key: value for key, value in urdb_rate().items() if key != "enddate"}
    # v2 from 2025-07-16 00:00 PDT = 2025-07-16 07:00Z = 1735718400 + 196 days - 1 hour
    # (Jan 1 to Jul 16 is 31+28+31+30+31+30+15 = 196 days; PDT is an hour ahead of PST),
    # with the summer peak sell raised to 0.2.
    later_rate = {**open_rate, "startdate": 1735718400 + 196 * 86400 - 3600}
    later_rate["energyratestructure"] = [
        list(period) for period in open_rate["energyratestructure"]
    ]
    later_rate["energyratestructure"][1] = [{**open_rate["energyratestructure"][1][0], "sell": 0.2}]
    args = ("--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    import_tariff(write_json(tmp_path, "v1.json", open_rate), *args)
    import_tariff(write_json(tmp_path, "v2.json", later_rate), *args)
    channel = ChannelFactory(meter_id="RM-1", kind="SITE_EXPORT")
    # One peak hour of 1000 Wh on each day: Tue 15th (v1) and Wed 16th (v2), 17:00 PDT.
    add_readings(
        channel,
        (datetime(2025, 7, 16, 0, tzinfo=UTC), 3600, 1000),
        (datetime(2025, 7, 17, 0, tzinfo=UTC), 3600, 1000),
    )

    code, result = rate_preview(
        "--tariff", "etou", "--meter", "RM-1", "--start", "2025-07-15", "--end", "2025-07-17"
    )

    assert code == 0
    # v1: 1.000 x 0.09217 = 0.09217 -> 0.09; v2: 1.000 x 0.2 = 0.20. Total 0.29.
    assert result["version"] == 1
    assert result["lines"] == [
        energy_line("v1 Jun-Sep peak", "1.000", "0.09217", "0.09"),
        energy_line("v2 Jun-Sep peak", "1.000", "0.2", "0.20"),
    ]
    assert result["parts"] == [
        {"version": 1, "start": "2025-07-15", "end": "2025-07-16"},
        {"version": 2, "start": "2025-07-16", "end": "2025-07-17"},
    ]
    assert result["total"] == "0.29"


def test_a_reading_across_new_year_is_priced_by_each_yearly_version(tmp_path):
    # v1 is the sample, in force over 2025; v2 from 2026-01-01 00:00 PST (1767254400) with
    # winter off-peak ("Oct-May off-peak") sell raised from 0.03874 to 0.1. One hourly reading from
    # 2025-12-31 23:30 PST (2026-01-01 07:30Z) of 1,001 Wh: by midnight it has delivered
    # 1,001 x 1800 / 3600 = 500.5 -> 501 Wh (half-up), 500 Wh after.
    # v1: 0.501 x 0.03874 = 0.01940874 -> $0.02; v2: 0.500 x 0.1 = $0.05. Total $0.07.
    later_rate = {**urdb_rate(), "startdate": 1767254400}
    later_rate.pop("enddate")
    later_rate["energyratestructure"] = [
        list(period) for period in later_rate["energyratestructure"]
    ]
    later_rate["energyratestructure"][2] = [
        {**later_rate["energyratestructure"][2][0], "sell": 0.1}
    ]
    args = ("--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    import_tariff(URDB_FILE, *args)
    import_tariff(write_json(tmp_path, "v2.json", later_rate), *args)
    channel = ChannelFactory(meter_id="RM-1", kind="SITE_EXPORT")
    add_readings(channel, (datetime(2026, 1, 1, 7, 30, tzinfo=UTC), 3600, 1001))

    code, result = rate_preview(
        "--tariff", "etou", "--meter", "RM-1", "--start", "2025-12-01", "--end", "2026-02-01"
    )

    assert code == 0
    assert result["lines"] == [
        energy_line("v1 Oct-May off-peak", "0.501", "0.03874", "0.02"),
        # Names follow the export price: at 0.1 the period now pays more than the winter
        # peak's 0.05561, so v2's file names it the peak.
        energy_line("v2 Oct-May peak", "0.500", "0.1", "0.05"),
    ]
    assert result["total"] == "0.07"
    assert result["parts"] == [
        {"version": 1, "start": "2025-12-01", "end": "2026-01-01"},
        {"version": 2, "start": "2026-01-01", "end": "2026-02-01"},
    ]


def test_a_tariff_in_another_zone_than_the_site_is_refused(export_channel):
    # The plan is in Los Angeles time; a New York site's 17:00 is Los Angeles' 14:00.
    export_channel.site.timezone = "America/New_York"
    export_channel.site.save()

    code, result = rate_preview(*PREVIEW_ARGS)

    assert code == 2
    assert result == {
        "error": {
            "code": "tariff_zone_mismatch",
            "message": (
                "tariff etou is in America/Los_Angeles, the site of meter RM-1 in "
                "America/New_York: prices would be read on the wrong local clock"
            ),
            "details": {
                "field": "tariff",
                "tariff_zone": "America/Los_Angeles",
                "site_zone": "America/New_York",
            },
        }
    }


def test_dates_without_a_version_in_force_are_refused(export_channel):
    # The sample is in force [2025-01-01, 2026-01-01).
    code, result = rate_preview(
        "--tariff", "etou", "--meter", "RM-1", "--start", "2025-12-31", "--end", "2026-01-02"
    )

    assert code == 2
    assert result["error"]["code"] == "tariff_version_missing"
    assert result["error"]["details"] == {"field": "end", "date": "2026-01-01"}


def test_an_unknown_meter_is_reported(export_channel):
    code, result = rate_preview(
        "--tariff", "etou", "--meter", "RM-404", "--start", "2025-07-15", "--end", "2025-07-16"
    )

    assert code == 2
    assert result["error"]["code"] == "channel_not_found"


URL = "/api/v1/staff/rate-preview/"
QUERY = {"tariff": "etou", "meter": "RM-1", "start": "2025-07-15", "end": "2025-07-16"}


def test_staff_get_the_same_json_as_the_command(export_channel, reviewer):
    client = signed_in(reviewer)

    response = client.get(URL, QUERY)

    assert response.status_code == 200
    assert response.json() == EXPECTED


def test_an_owner_is_refused_in_the_one_error_shape(export_channel, owner):
    client = signed_in(owner)

    response = client.get(URL, QUERY)

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "This endpoint is for utility staff.",
            "details": {},
        }
    }


def test_missing_parameters_are_named(reviewer):
    client = signed_in(reviewer)

    response = client.get(URL, {"tariff": "etou", "start": "2025-07-15"})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "The request is not valid.",
            "details": {
                "meter": ["This field is required."],
                "end": ["This field is required."],
            },
        }
    }


def test_an_unknown_tariff_is_404(reviewer):
    client = signed_in(reviewer)

    response = client.get(URL, {**QUERY, "tariff": "nope"})

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "tariff_not_found",
            "message": "no tariff plan 'nope'",
            "details": {"field": "tariff"},
        }
    }


def test_the_staff_page_renders_the_table(export_channel, reviewer, client_for):
    response = client_for(reviewer).get("/staff/rate-preview/", QUERY)

    assert response.status_code == 200
    page = response.content.decode()
    # Prices and amounts in the plan's currency, through the one formatter.
    assert "<td>Jun-Sep peak</td><td>2.000</td><td>$0.09217/kWh</td><td>$0.18</td>" in page
    # 1.500 + 2.000 kWh beside the $0.24.
    assert "<th>Total</th><th>3.500</th><th></th><th>$0.24</th>" in page


def test_the_staff_page_shows_a_domain_error_in_the_form(export_channel, reviewer, client_for):
    response = client_for(reviewer).get("/staff/rate-preview/", {**QUERY, "meter": "RM-404"})

    assert response.status_code == 200
    # Beside the meter field, in plain words (settlement/form_errors.py).
    assert "Meter &#x27;RM-404&#x27; has no export channel" in response.content.decode()


def test_owners_get_the_not_found_page_from_the_staff_page(owner, client_for):
    response = client_for(owner).get("/staff/rate-preview/")

    assert response.status_code == 404


def test_the_staff_page_offers_the_plans_and_meters_that_exist(
    export_channel, reviewer, client_for
):
    page = client_for(reviewer).get("/staff/rate-preview/").content.decode()

    assert '<select name="tariff"' in page
    assert '<option value="etou">etou · ' in page
    assert 'list="meters"' in page
    assert '<datalist id="meters"><option value="RM-1"></datalist>' in page


def test_a_two_day_reading_into_the_range_is_priced_by_its_share(tmp_path):
    # One reading of 4,800 Wh over 48 hours from 2025-07-13 17:00 PDT (2025-07-14 00:00Z) to
    # 2025-07-15 17:00 PDT; the range starts 2025-07-15 00:00 PDT (07:00Z), 31 h in. By then
    # it has delivered 4,800 x 31 / 48 = 3,100 Wh, so the range holds 4,800 - 3,100 = 1,700 Wh
    # of it, 100 Wh an hour over 00:00-17:00 PDT Tuesday: 00:00-17:00 is off-peak
    # (1,700 Wh; the reading ends as 17:00 peak begins). With the fixture's readings:
    # off-peak 1.500 + 1.700 = 3.200 kWh x 0.04123 = 0.131936 -> $0.13; peak 2.000 kWh $0.18.
    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    channel = ChannelFactory(meter_id="RM-1", kind="SITE_EXPORT")
    peak = datetime(2025, 7, 16, 0, tzinfo=UTC)
    add_readings(
        channel,
        (datetime(2025, 7, 14, 0, tzinfo=UTC), 48 * 3600, 4800),
        (datetime(2025, 7, 16, 2, tzinfo=UTC) - timedelta(hours=9), 3600, 1500),
        *[(peak + timedelta(minutes=15 * n), 900, 500) for n in range(4)],
    )

    code, result = rate_preview(*PREVIEW_ARGS)

    assert code == 0
    assert result["lines"] == [
        energy_line("Jun-Sep off-peak", "3.200", "0.04123", "0.13"),
        energy_line("Jun-Sep peak", "2.000", "0.09217", "0.18"),
    ]
    assert result["total"] == "0.31"
