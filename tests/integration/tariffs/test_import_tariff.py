"""`import_tariff FILE --format ... --code ...` on each supported format."""

import hashlib
from datetime import date

import pytest

from settlement.tariffs.models import TariffPlan, TariffVersion
from tests.factories import ProgramFactory
from tests.tariff_imports import (
    LOS_ANGELES,
    PGE_FILE,
    SCE_FILE,
    URDB_FILE,
    import_tariff,
    urdb_rate,
    write_json,
)

pytestmark = pytest.mark.django_db

FIXED_CHARGE_WARNING = (
    "fixedchargefirstmeter: belongs to the import bill, not applied to export credits"
)


def test_a_urdb_rate_becomes_version_1_of_a_new_plan():
    code, summary = import_tariff(
        URDB_FILE, "--format", "urdb", "--code", "pge-etou", "--timezone", LOS_ANGELES
    )

    assert code == 0
    # energyratestructure lists 4 periods. startdate 1735718400 = 2025-01-01 08:00Z =
    # 2025-01-01 00:00 PST; enddate 1767254400 = 1735718400 + 365 x 86400 = 2026-01-01 00:00
    # PST, a local midnight, so the last day in force is 2025-12-31.
    assert summary == {
        "code": "pge-etou",
        "version": 1,
        "outcome": "created",
        "periods": 4,
        "effective_from": "2025-01-01",
        "effective_to": "2026-01-01",
        "warnings": [FIXED_CHARGE_WARNING],
        "versions": [
            {
                "version": 1,
                "outcome": "created",
                "periods": 4,
                "effective_from": "2025-01-01",
                "effective_to": "2026-01-01",
            }
        ],
    }
    plan = TariffPlan.objects.get(code="pge-etou")
    assert (plan.timezone, plan.holiday_calendar, plan.utility) == (
        LOS_ANGELES,
        "NONE",
        "Pacific Gas & Electric Co",
    )
    version = plan.versions.get()
    assert (version.kind, version.source_format, version.source_name) == (
        "TOU",
        "URDB",
        "urdb_residential_tou_sell.json",
    )
    assert version.source_sha256 == hashlib.sha256(URDB_FILE.read_bytes()).hexdigest()
    # Period 1 is the summer peak: sell 0.09217, kept as the exact text of the file.
    assert version.definition["periods"][1]["export_price"] == "0.09217"
    assert version.locked_at is None


def test_the_pge_export_rate_file_becomes_a_utc_hour_vector():
    code, summary = import_tariff(
        PGE_FILE, "--format", "pge-export-rates", "--code", "pge-nbt24", "--timezone", LOS_ANGELES
    )

    assert code == 0
    # 17,616 price rows = 8,808 generation + 8,808 delivery, one pair per UTC hour from
    # 2024-12-31 00:00Z to 2026-01-01 23:00Z: 367 days x 24 = 8,808 hours. The first hour is
    # 2024-12-30 16:00 PST, so the first whole local day is 2024-12-31; the end 2026-01-02
    # 00:00Z is 2026-01-01 16:00 PST, so the last whole day is 2025-12-31.
    # Fall back, 2025-11-02 09:00Z is the second 01:00 (PST) but PG&E labels it HS2. It is
    # 306 days and 9 hours after the first row (Dec 31 + 304 days Jan-Oct + Nov 1 = 306),
    # so generation line 2 + 306 x 24 + 9 = 7355 and delivery line 7355 + 8808 = 16163.
    label = (
        "'Nov Weekend HS2' at 2025-11-02 09:00Z is local 2025-11-02 01:00 PST (hour 1); "
        "the row's price is used for that UTC hour as published"
    )
    # The whole local days span two calendar years, so the file becomes two versions:
    # 2024-12-31 alone (24 hours: 08:00Z Dec 31 to 08:00Z Jan 1) and 2025 (365 x 24 = 8,760).
    assert summary == {
        "code": "pge-nbt24",
        "version": 1,
        "outcome": "created",
        "periods": 24,
        "effective_from": "2024-12-31",
        "effective_to": "2026-01-01",
        "warnings": [f"line 7355: {label}", f"line 16163: {label}"],
        "versions": [
            {
                "version": 1,
                "outcome": "created",
                "periods": 24,
                "effective_from": "2024-12-31",
                "effective_to": "2025-01-01",
            },
            {
                "version": 2,
                "outcome": "created",
                "periods": 8760,
                "effective_from": "2025-01-01",
                "effective_to": "2026-01-01",
            },
        ],
    }
    plan = TariffPlan.objects.get(code="pge-nbt24")
    # The file flags its holiday hours itself (DayStart 8), so no calendar is layered on.
    assert plan.holiday_calendar == "NONE"
    version = plan.versions.get(version=2)
    assert (version.kind, version.source_format) == ("VECTOR", "PGE_EXPORT_RATES")
    assert version.definition["holidays"] == [
        "2025-01-01",
        "2025-02-17",
        "2025-05-26",
        "2025-07-04",
        "2025-09-01",
        "2025-11-11",
        "2025-11-27",
        "2025-12-25",
    ]


def test_the_sce_export_credit_table_imports_every_year_with_the_sce_calendar():
    code, summary = import_tariff(
        SCE_FILE, "--format", "sce-export-credits", "--code", "sce-nbt24", "--timezone", LOS_ANGELES
    )

    assert code == 0
    # 12 months x 24 hours x 2 day types = 576 price entries for 2024. The years 2024-2034 are
    # blocks of 288 rows after the header, separated by 10 empty rows: the k-th empty row is
    # line 1 + 288k + (k - 1) + 1 = 289k + 1.
    empty_lines = ", ".join(str(289 * k + 1) for k in range(1, 11))
    assert empty_lines == "290, 579, 868, 1157, 1446, 1735, 2024, 2313, 2602, 2891"
    # One version per calendar year 2024-2034 (11 years), each [Jan 1, next Jan 1).
    assert summary == {
        "code": "sce-nbt24",
        "version": 1,
        "outcome": "created",
        "periods": 576,
        "effective_from": "2024-01-01",
        "effective_to": "2035-01-01",
        "warnings": [f"10 empty row(s) skipped (lines {empty_lines})"],
        "versions": [
            {
                "version": number,
                "outcome": "created",
                "periods": 576,
                "effective_from": f"{year}-01-01",
                "effective_to": f"{year + 1}-01-01",
            }
            for number, year in enumerate(range(2024, 2035), start=1)
        ],
    }
    assert TariffPlan.objects.get(code="sce-nbt24").holiday_calendar == "SCE"


def test_effective_from_is_the_first_year_taken_from_the_sce_table():
    code, summary = import_tariff(
        SCE_FILE,
        "--format",
        "sce-export-credits",
        "--code",
        "sce-nbt24",
        "--timezone",
        LOS_ANGELES,
        "--effective-from",
        "2025-01-01",
    )

    assert code == 0
    # 2025-2034: ten versions, the first of them 2025.
    assert (summary["version"], summary["effective_from"], summary["effective_to"]) == (
        1,
        "2025-01-01",
        "2035-01-01",
    )
    assert [part["effective_from"] for part in summary["versions"]] == [
        f"{year}-01-01" for year in range(2025, 2035)
    ]
    # First row of 2025 (line 291): January, Hour 1 = local 00:00-01:00, weekday generation.
    version = TariffVersion.objects.get(plan__code="sce-nbt24", version=1)
    first_row = SCE_FILE.read_text().splitlines()[290].split(",")
    assert first_row[:3] == ["2025", "1", "1"]
    assert version.definition["by_month_day_type_hour"][0] == [
        1,
        "WEEKDAY",
        0,
        first_row[5],
        first_row[3],
    ]


def test_importing_the_same_file_again_reports_the_existing_version():
    args = ("--format", "urdb", "--code", "pge-etou", "--timezone", LOS_ANGELES)
    import_tariff(URDB_FILE, *args)

    code, summary = import_tariff(URDB_FILE, *args)

    assert code == 0
    assert summary["version"] == 1
    assert summary["outcome"] == "unchanged"
    assert TariffVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"energyweekdayschedule": [[4] * 24] * 12},
            "energyweekdayschedule[0][0]",
            "period index 4 out of range (4 periods)",
        ),
        ({"energyratestructure": []}, "energyratestructure", "must be a non-empty list of periods"),
        (
            {"startdate": "2025-01-01"},
            "startdate",
            "must be epoch seconds (an integer), got '2025-01-01'",
        ),
    ],
)
def test_a_broken_urdb_file_is_rejected_with_field_and_reason_and_nothing_stored(
    tmp_path, change, field, reason
):
    path = write_json(tmp_path, "broken.json", {**urdb_rate(), **change})

    code, summary = import_tariff(
        path, "--format", "urdb", "--code", "broken", "--timezone", LOS_ANGELES
    )

    assert code == 2
    assert summary["error"]["code"] == "tariff_file_invalid"
    assert summary["error"]["details"]["field"] == field
    assert summary["error"]["details"]["reason"] == reason
    assert not TariffPlan.objects.exists()
    assert not TariffVersion.objects.exists()


def test_a_broken_csv_is_rejected_with_its_line_and_nothing_stored(tmp_path):
    lines = SCE_FILE.read_text().splitlines()
    # Line 3 is January Hour 2 of 2024; its weekday delivery price becomes text.
    fields = lines[2].split(",")
    fields[3] = "n/a"
    path = tmp_path / "sce.csv"
    path.write_text("\n".join([*lines[:2], ",".join(fields), *lines[3:]]) + "\n")

    code, summary = import_tariff(
        path, "--format", "sce-export-credits", "--code", "sce", "--timezone", LOS_ANGELES
    )

    assert code == 2
    assert summary["error"]["details"]["errors"] == [
        "line 3: Delivery - Weekday EEC 'n/a': not a number"
    ]
    assert summary["error"]["details"]["field"] == "file"
    assert not TariffPlan.objects.exists()


def test_a_csv_with_the_wrong_header_is_rejected(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("a,b,c\n1,2,3\n")

    code, summary = import_tariff(
        path, "--format", "pge-export-rates", "--code", "pge", "--timezone", LOS_ANGELES
    )

    assert code == 2
    assert summary["error"]["details"]["field"] == "file"
    assert summary["error"]["message"].startswith("line 1: header a, b, c is not RIN, RateName")
    assert not TariffPlan.objects.exists()


def test_the_time_zone_comes_from_the_program_when_not_given():
    ProgramFactory(code="nbt-denver", timezone="America/Denver")

    code, summary = import_tariff(
        URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nbt-denver"
    )

    assert code == 0
    assert TariffPlan.objects.get(code="etou").timezone == "America/Denver"
    # startdate 2025-01-01 08:00Z is 2025-01-01 01:00 MST: still January 1 in Denver.
    assert summary["effective_from"] == "2025-01-01"


def test_timezone_wins_over_the_program_zone():
    ProgramFactory(code="nbt-denver", timezone="America/Denver")

    import_tariff(
        URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nbt-denver",
        "--timezone", LOS_ANGELES,
    )  # fmt: skip

    assert TariffPlan.objects.get(code="etou").timezone == LOS_ANGELES


def test_without_timezone_or_program_the_import_is_refused():
    code, summary = import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou")

    assert code == 2
    assert summary == {
        "error": {
            "code": "timezone_required",
            "message": "give --timezone, or --program to use the program's zone",
            "details": {
                "field": "timezone",
                "reason": "required: neither --timezone nor --program given",
            },
        }
    }
    assert not TariffPlan.objects.exists()


def test_a_fixed_offset_is_not_a_time_zone():
    code, summary = import_tariff(
        URDB_FILE, "--format", "urdb", "--code", "etou", "--timezone", "UTC-08:00"
    )

    assert code == 2
    assert summary["error"]["details"]["field"] == "timezone"
    assert not TariffPlan.objects.exists()


def test_an_unknown_program_is_refused_and_nothing_stored():
    code, summary = import_tariff(
        URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nope"
    )

    assert code == 2
    assert summary["error"]["code"] == "program_not_found"
    assert not TariffPlan.objects.exists()


def test_a_new_version_ends_the_open_version_it_supersedes(tmp_path):
    open_rate = {key: value for key, value in urdb_rate().items() if key != "enddate"}
    # 2025-07-01 00:00 PDT = 2025-07-01 07:00Z = 1735718400 + 181 days x 86400 - 3600
    # (Jan-Jun hold 31+28+31+30+31+30 = 181 days, and PDT is one hour ahead of PST).
    later_rate = {**open_rate, "startdate": 1735718400 + 181 * 86400 - 3600}
    later_rate["energyratestructure"] = [
        [{**period[0], "sell": 0.1}] for period in open_rate["energyratestructure"]
    ]
    args = ("--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    import_tariff(write_json(tmp_path, "v1.json", open_rate), *args)

    code, summary = import_tariff(write_json(tmp_path, "v2.json", later_rate), *args)

    assert code == 0
    assert (summary["version"], summary["effective_from"], summary["effective_to"]) == (
        2,
        "2025-07-01",
        None,
    )
    assert list(
        TariffVersion.objects.order_by("version").values_list(
            "version", "effective_from", "effective_to"
        )
    ) == [(1, date(2025, 1, 1), date(2025, 7, 1)), (2, date(2025, 7, 1), None)]


def test_an_overlapping_closed_version_is_refused(tmp_path):
    args = ("--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    import_tariff(URDB_FILE, *args)
    # Same dates, other prices: [2025-01-01, 2026-01-01) is already taken by v1.
    rate = urdb_rate()
    rate["energyratestructure"][0][0]["sell"] = 0.05

    code, summary = import_tariff(write_json(tmp_path, "other.json", rate), *args)

    assert code == 2
    assert summary["error"]["code"] == "tariff_version_overlap"
    assert TariffVersion.objects.count() == 1


def test_one_import_of_the_sce_table_prices_july_2025_and_importing_again_changes_nothing():
    args = ("--format", "sce-export-credits", "--code", "sce-nbt24", "--timezone", LOS_ANGELES)
    import_tariff(SCE_FILE, *args)

    code, again = import_tariff(SCE_FILE, *args)

    assert code == 0
    assert again["outcome"] == "unchanged"
    assert {part["outcome"] for part in again["versions"]} == {"unchanged"}
    assert TariffVersion.objects.filter(plan__code="sce-nbt24").count() == 11
    in_force = TariffVersion.objects.get(
        plan__code="sce-nbt24",
        effective_from__lte=date(2025, 7, 15),
        effective_to__gt=date(2025, 7, 15),
    )
    assert in_force.effective_from == date(2025, 1, 1)
    # July 2025, Hour 18 (local 17:00-18:00), weekday: the file's own row.
    july_row = next(
        line.split(",")
        for line in SCE_FILE.read_text().splitlines()
        if line.startswith("2025,7,18,")
    )
    entry = next(
        entry
        for entry in in_force.definition["by_month_day_type_hour"]
        if entry[:3] == [7, "WEEKDAY", 17]
    )
    assert entry[3:] == [july_row[5], july_row[3]]
