"""The bulk enrollment import: `import_enrollments FILE.csv`."""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import Channel, Charger, Enrollment, Membership, Participant, Site, User
from tests.factories import ProgramFactory

HEADER = (
    "participant_email,participant_name,participant_kind,program_code,site_account,"
    "site_timezone,meter_id,channel_kind,charger_id,charger_max_kw,enrollment_start"
)
GOOD_ROWS = [
    "ana@example.com,Ana Alvarez,INDIVIDUAL,nbt,ACC-1,America/Los_Angeles,RM-1,SITE_EXPORT,,,2025-03-01",
    "ana@example.com,Ana Alvarez,INDIVIDUAL,nbt,ACC-1,America/Los_Angeles,RM-1,SITE_IMPORT,,,2025-03-01",
    "ana@example.com,Ana Alvarez,INDIVIDUAL,nbt,ACC-1,America/Los_Angeles,SM-1,EVSE_EXPORT,CP-1,11.5,2025-03-01",
    "buses@district.example.org,Valley USD,ORGANIZATION,nbt,DEPOT,America/Los_Angeles,BUS-1,EVSE_EXPORT,DC-1,60,2025-04-01",
    "buses@district.example.org,Valley USD,ORGANIZATION,nbt,DEPOT,America/Los_Angeles,BUS-2,EVSE_EXPORT,DC-2,60,2025-04-01",
]


def run_import(path: Path) -> tuple[int, dict[str, object]]:
    """Run the command; return its exit code and the JSON it printed."""
    out = StringIO()
    code = 0
    try:
        call_command("import_enrollments", str(path), stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def write_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "enrollments.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def nbt(db: None) -> object:
    return ProgramFactory(code="nbt")


@pytest.mark.django_db
def test_a_good_file_creates_participants_sites_chargers_channels_and_enrollments(tmp_path, nbt):
    code, summary = run_import(write_csv(tmp_path, *GOOD_ROWS))

    assert code == 0
    assert summary == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    assert sorted(Participant.objects.values_list("email", "kind")) == [
        ("ana@example.com", "INDIVIDUAL"),
        ("buses@district.example.org", "ORGANIZATION"),
    ]
    assert Site.objects.get(account_number="DEPOT").participant.name == "Valley USD"
    assert sorted(Channel.objects.values_list("meter_id", "kind")) == [
        ("BUS-1", "EVSE_EXPORT"),
        ("BUS-2", "EVSE_EXPORT"),
        ("RM-1", "SITE_EXPORT"),
        ("RM-1", "SITE_IMPORT"),
        ("SM-1", "EVSE_EXPORT"),
    ]
    assert Channel.objects.get(meter_id="SM-1").charger.external_id == "CP-1"
    assert str(Charger.objects.get(external_id="DC-2").max_discharge_kw) == "60.000"
    assert Enrollment.objects.count() == 2
    ana_enrollment = Enrollment.objects.get(participant__email="ana@example.com")
    assert ana_enrollment.starts_on.isoformat() == "2025-03-01"
    # Each owner can sign in with the enrolled address once they set a password.
    ana = User.objects.get(email="ana@example.com")
    assert not ana.has_usable_password()
    assert Membership.objects.get(user=ana).participant.email == "ana@example.com"


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing(tmp_path, nbt):
    path = write_csv(tmp_path, *GOOD_ROWS)
    run_import(path)
    counts_before = [
        model.objects.count() for model in (Participant, Site, Charger, Channel, Enrollment, User)
    ]

    code, summary = run_import(path)

    assert code == 0
    assert summary == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0, "errors": []}
    assert [
        model.objects.count() for model in (Participant, Site, Charger, Channel, Enrollment, User)
    ] == counts_before


@pytest.mark.django_db
def test_a_changed_row_is_counted_as_updated(tmp_path, nbt):
    run_import(write_csv(tmp_path, *GOOD_ROWS))
    changed = GOOD_ROWS[2].replace("CP-1,11.5", "CP-1,7.2")

    _, summary = run_import(write_csv(tmp_path, changed))

    assert summary["updated"] == 1
    assert str(Charger.objects.get(external_id="CP-1").max_discharge_kw) == "7.200"


BAD_ROWS = [
    (
        "zed@example.com,Zed,INDIVIDUAL,no-such-program,ACC-9,America/Los_Angeles,RM-9,SITE_EXPORT,,,2025-03-01",
        "program_code",
        "unknown program 'no-such-program'; create it first",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,Pacific/Nowhere,RM-9,SITE_EXPORT,,,2025-03-01",
        "site_timezone",
        "'Pacific/Nowhere' is not an IANA time zone",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,SM-9,EVSE_EXPORT,,,2025-03-01",
        "charger_id",
        "is required for a EVSE_EXPORT channel",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,SM-9,EVSE_EXPORT,CP-9,0,2025-03-01",
        "charger_max_kw",
        "must be a positive number of kW",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,SM-9,EVSE_EXPORT,CP-9,-3,2025-03-01",
        "charger_max_kw",
        "must be a positive number of kW",
    ),
    (
        "not-an-email,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,RM-9,SITE_EXPORT,,,2025-03-01",
        "participant_email",
        "'not-an-email' is not a valid email address",
    ),
    (
        "zed@example.com,Zed,PERSON,nbt,ACC-9,America/Los_Angeles,RM-9,SITE_EXPORT,,,2025-03-01",
        "participant_kind",
        "must be INDIVIDUAL or ORGANIZATION, not 'PERSON'",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,RM-9,SITE_NET,,,2025-03-01",
        "channel_kind",
        "must be one of SITE_EXPORT, SITE_IMPORT, EVSE_EXPORT, EVSE_IMPORT, not 'SITE_NET'",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,RM-9,SITE_EXPORT,,,03/01/2025",
        "enrollment_start",
        "'03/01/2025' is not an ISO date (YYYY-MM-DD)",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,RM-9,SITE_EXPORT,CP-9,7,2025-03-01",
        "charger_id",
        "must be empty for a SITE_EXPORT channel",
    ),
    (
        "zed@example.com,,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,RM-9,SITE_EXPORT,,,2025-03-01",
        "participant_name",
        "is required",
    ),
    (
        "zed@example.com,Zed,INDIVIDUAL,nbt,ACC-9,America/Los_Angeles,RM-9,SITE_EXPORT,,",
        "*",
        "expected 11 cells, found 10",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "field", "reason"), BAD_ROWS)
def test_a_bad_row_is_reported_with_its_line_and_the_good_rows_are_kept(
    tmp_path, nbt, row, field, reason
):
    code, summary = run_import(write_csv(tmp_path, GOOD_ROWS[0], row, GOOD_ROWS[1]))

    assert code == 0
    assert summary == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "errors": [{"line": 3, "field": field, "reason": reason}],
    }
    assert not Participant.objects.filter(email="zed@example.com").exists()
    assert not Channel.objects.filter(meter_id__in=["RM-9", "SM-9"]).exists()


@pytest.mark.django_db
def test_a_channel_enrolled_for_another_participant_is_rejected_and_left_alone(tmp_path, nbt):
    run_import(write_csv(tmp_path, GOOD_ROWS[0]))
    stolen = (
        "mal@example.com,Mal,INDIVIDUAL,nbt,ACC-2,America/Los_Angeles,RM-1,SITE_EXPORT,,,2025-03-01"
    )

    _, summary = run_import(write_csv(tmp_path, stolen))

    assert summary["rejected"] == 1
    assert summary["errors"] == [
        {
            "line": 2,
            "field": "meter_id",
            "reason": "channel RM-1/SITE_EXPORT is already enrolled for another participant",
        }
    ]
    assert Channel.objects.get(meter_id="RM-1", kind="SITE_EXPORT").site.account_number == "ACC-1"
    # The rejected row's participant and site were rolled back with it.
    assert not Participant.objects.filter(email="mal@example.com").exists()
    assert not Site.objects.filter(account_number="ACC-2").exists()


@pytest.mark.django_db
def test_a_site_of_another_participant_is_rejected(tmp_path, nbt):
    run_import(write_csv(tmp_path, GOOD_ROWS[0]))
    row = (
        "mal@example.com,Mal,INDIVIDUAL,nbt,ACC-1,America/Los_Angeles,RM-7,SITE_EXPORT,,,2025-03-01"
    )

    _, summary = run_import(write_csv(tmp_path, row))

    assert summary["errors"] == [
        {"line": 2, "field": "site_account", "reason": "site ACC-1 belongs to another participant"}
    ]


@pytest.mark.django_db
def test_a_meter_cannot_mix_revenue_and_charger_channels(tmp_path, nbt):
    run_import(write_csv(tmp_path, GOOD_ROWS[0]))
    row = "ana@example.com,Ana Alvarez,INDIVIDUAL,nbt,ACC-1,America/Los_Angeles,RM-1,EVSE_IMPORT,CP-1,11.5,2025-03-01"

    _, summary = run_import(write_csv(tmp_path, row))

    assert summary["rejected"] == 1
    assert summary["errors"][0]["field"] == "channel_kind"
    assert not Channel.objects.filter(meter_id="RM-1", kind="EVSE_IMPORT").exists()


@pytest.mark.django_db
def test_extra_columns_reject_the_whole_file(tmp_path, nbt):
    path = write_csv(tmp_path, GOOD_ROWS[0] + ",surprise", header=HEADER + ",notes")

    code, answer = run_import(path)

    assert code == 2
    assert answer["error"]["code"] == "enrollment_file_rejected"
    assert answer["error"]["details"] == {"field": "file"}
    assert "unexpected columns: notes" in answer["error"]["message"]
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_missing_columns_reject_the_whole_file(tmp_path, nbt):
    header = HEADER.replace(",charger_max_kw", "")

    code, answer = run_import(write_csv(tmp_path, header=header))

    assert code == 2
    assert "missing columns: charger_max_kw" in answer["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file is binary, not a CSV text file"),
        (
            "participant_email;naïve".encode("latin-1"),
            "file is not UTF-8 text (byte 20 cannot be decoded)",
        ),
        (b'{"participants": []}', "line 1: header must be exactly"),
    ],
)
def test_a_file_that_is_not_an_enrollment_csv_is_rejected(tmp_path, nbt, content, reason):
    path = tmp_path / "not.csv"
    path.write_bytes(content)

    code, answer = run_import(path)

    assert code == 2
    assert answer["error"]["code"] == "enrollment_file_rejected"
    assert answer["error"]["message"].startswith(reason)
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_is_reported(tmp_path):
    code, answer = run_import(tmp_path / "absent.csv")

    assert code == 2
    assert answer["error"]["code"] == "file_unreadable"
    assert "No such file" in answer["error"]["message"]


@pytest.mark.django_db
def test_a_site_in_another_zone_than_its_program_is_rejected(tmp_path, nbt):
    # The program (factory) is in America/Los_Angeles; the site is in New York.
    row = "ny@example.com,Nia York,INDIVIDUAL,nbt,NY-1,America/New_York,RM-NY,SITE_EXPORT,,,2025-03-01"

    code, summary = run_import(write_csv(tmp_path, row))

    assert code == 0
    assert summary["rejected"] == 1
    assert summary["errors"] == [
        {
            "line": 2,
            "field": "site_timezone",
            "reason": "site NY-1 is in America/New_York but program nbt is in "
            "America/Los_Angeles; a site can only enroll in a program of its own zone",
        }
    ]
    assert not Site.objects.filter(account_number="NY-1").exists()
    assert not Participant.objects.filter(email="ny@example.com").exists()


@pytest.mark.django_db
def test_the_optional_last_column_sets_a_sites_service_capacity(tmp_path, nbt):
    header = HEADER + ",site_max_kw"
    rows = [
        GOOD_ROWS[0] + ",48",
        GOOD_ROWS[3] + ",500.5",
        "cy@example.com,Cy,INDIVIDUAL,nbt,ACC-3,America/Los_Angeles,RM-3,SITE_EXPORT,,,2025-03-01,",
        "di@example.com,Di,INDIVIDUAL,nbt,ACC-4,America/Los_Angeles,RM-4,SITE_EXPORT,,,2025-03-01,-1",
        "ed@example.com,Ed,INDIVIDUAL,nbt,ACC-5,America/Los_Angeles,RM-5,SITE_EXPORT,,,2025-03-01,lots",
    ]

    code, summary = run_import(write_csv(tmp_path, *rows, header=header))

    assert code == 0
    assert summary["errors"] == [
        {"line": 5, "field": "site_max_kw", "reason": "must be a positive number of kW"},
        {"line": 6, "field": "site_max_kw", "reason": "'lots' is not a number"},
    ]
    assert dict(Site.objects.values_list("account_number", "max_kw")) == {
        "ACC-1": Decimal("48.000"),
        "DEPOT": Decimal("500.500"),
        "ACC-3": None,
    }


@pytest.mark.django_db
def test_an_empty_capacity_cell_keeps_the_capacity_a_site_has(tmp_path, nbt):
    header = HEADER + ",site_max_kw"
    run_import(write_csv(tmp_path, GOOD_ROWS[0] + ",48", header=header))

    code, summary = run_import(write_csv(tmp_path, GOOD_ROWS[1] + ",", header=header))

    assert (code, summary["rejected"]) == (0, 0)
    assert Site.objects.get(account_number="ACC-1").max_kw == Decimal("48.000")
