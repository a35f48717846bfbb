"""Enrollment rules: exclusivity between programs, half-open periods, program creation."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from accounts import operations, rules
from accounts.models import Enrollment, Program
from settlement.metering.models import Reading
from settlement.outcomes import Outcome
from settlement.programs.models import Rule
from tests.factories import EnrollmentFactory, ProgramFactory, SiteFactory

NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)


@pytest.fixture
def emergency_programs(db: None) -> tuple[Program, Program]:
    residential = ProgramFactory(code="elrp-a1")
    aggregator = ProgramFactory(code="elrp-a5")
    residential.exclusive_with.add(aggregator)
    return residential, aggregator


@pytest.mark.django_db
def test_a_participant_in_a_program_cannot_join_its_exclusive_sub_group(emergency_programs):
    residential, aggregator = emergency_programs
    enrolled = EnrollmentFactory(program=residential, starts_on=dt.date(2025, 5, 1))

    with pytest.raises(rules.ExclusiveEnrollment) as raised:
        operations.enroll(
            participant=enrolled.participant,
            site=enrolled.site,
            program=aggregator,
            starts_on=dt.date(2025, 6, 1),
            now=NOW,
        )

    assert raised.value.message == (
        f"{enrolled.participant.email} is enrolled in elrp-a1, which excludes elrp-a5"
    )
    assert raised.value.http_status == 409
    assert not Enrollment.objects.filter(program=aggregator).exists()


@pytest.mark.django_db
def test_exclusivity_is_symmetric(emergency_programs):
    residential, aggregator = emergency_programs
    enrolled = EnrollmentFactory(program=aggregator)

    with pytest.raises(rules.ExclusiveEnrollment):
        operations.enroll(
            participant=enrolled.participant,
            site=enrolled.site,
            program=residential,
            starts_on=dt.date(2025, 6, 1),
            now=NOW,
        )


@pytest.mark.django_db
def test_an_enrollment_that_ended_before_the_new_one_starts_does_not_conflict(
    emergency_programs,
):
    residential, aggregator = emergency_programs
    # [2025-01-01, 2025-06-01) and [2025-06-01, ...) touch but do not overlap: periods are half-open.
    ended = EnrollmentFactory(
        program=residential, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 6, 1)
    )

    enrollment, outcome = operations.enroll(
        participant=ended.participant,
        site=ended.site,
        program=aggregator,
        starts_on=dt.date(2025, 6, 1),
        now=NOW,
    )

    assert outcome == Outcome.CREATED
    assert enrollment.program == aggregator


@pytest.mark.django_db
def test_another_participant_is_not_affected_by_exclusivity(emergency_programs):
    residential, aggregator = emergency_programs
    EnrollmentFactory(program=residential)
    other_site = SiteFactory()

    _, outcome = operations.enroll(
        participant=other_site.participant,
        site=other_site,
        program=aggregator,
        starts_on=dt.date(2025, 6, 1),
        now=NOW,
    )

    assert outcome == Outcome.CREATED


@pytest.mark.django_db
def test_the_import_reports_an_exclusive_enrollment_as_a_rejected_row(tmp_path, emergency_programs):
    header = (
        "participant_email,participant_name,participant_kind,program_code,site_account,"
        "site_timezone,meter_id,channel_kind,charger_id,charger_max_kw,enrollment_start"
    )
    path = tmp_path / "rows.csv"
    path.write_text(
        "\n".join(
            [
                header,
                "ana@example.com,Ana,INDIVIDUAL,elrp-a1,ACC-1,America/Los_Angeles,RM-1,SITE_EXPORT,,,2025-05-01",
                "ana@example.com,Ana,INDIVIDUAL,elrp-a5,ACC-1,America/Los_Angeles,SM-1,EVSE_EXPORT,CP-1,11,2025-05-01",
            ]
        )
    )
    out = StringIO()

    call_command("import_enrollments", str(path), stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["created"] == 1
    assert summary["errors"] == [
        {
            "line": 3,
            "field": "program_code",
            "reason": "ana@example.com is enrolled in elrp-a1, which excludes elrp-a5",
        }
    ]
    # The rejected row's charger and channel were rolled back with it.
    assert not Enrollment.objects.filter(program__code="elrp-a5").exists()


@pytest.mark.django_db
def test_the_database_refuses_an_enrollment_that_ends_before_it_starts():
    with pytest.raises(IntegrityError):
        EnrollmentFactory(starts_on=dt.date(2025, 6, 1), ends_on=dt.date(2025, 6, 1))


@pytest.mark.django_db
def test_create_program_is_idempotent_and_prints_its_outcome():
    arguments = [
        "create_program",
        "--code=nbt",
        "--name=Net billing",
        "--utility=PG&E",
        "--timezone=America/Los_Angeles",
    ]
    first, second = StringIO(), StringIO()

    call_command(*arguments, stdout=first)
    call_command(*arguments, stdout=second)

    assert json.loads(first.getvalue())["outcome"] == "created"
    assert json.loads(second.getvalue()) == {
        "code": "nbt",
        "outcome": "unchanged",
        "name": "Net billing",
        "utility": "PG&E",
        "timezone": "America/Los_Angeles",
        "currency": "USD",
    }
    assert Program.objects.count() == 1


def _create_program(*options: str) -> tuple[int, dict[str, object]]:
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("create_program", "--name=N", "--utility=U", *options, stdout=out)
    return int(exited.value.code or 0), json.loads(out.getvalue())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "field", "reason"),
    [
        (
            ["--code=nbt", "--timezone=UTC-08:00"],
            "timezone",
            "'UTC-08:00' is not an IANA time zone",
        ),
        # Three upper-case letters, but no currency: ISO 4217 has no XYZ.
        (
            ["--code=nbt", "--timezone=America/Los_Angeles", "--currency=XYZ"],
            "currency",
            "'XYZ' is not an ISO 4217 currency code",
        ),
        (
            ["--code=bad code", "--timezone=America/Los_Angeles"],
            "code",
            (
                "'bad code' is not a program code: lower-case letters and digits, "
                "words joined by single hyphens (e.g. nbt-export)"
            ),
        ),
        (["--code=NBT", "--timezone=America/Los_Angeles"], "code", None),
    ],
)
def test_create_program_refuses_bad_fields_in_the_one_error_shape(options, field, reason):
    exit_code, printed = _create_program(*options)

    assert exit_code == 2
    assert printed["error"]["code"] == "rule_broken"
    assert printed["error"]["details"]["field"] == field
    if reason is not None:
        assert printed["error"]["message"] == reason
        assert printed["error"]["details"]["reason"] == reason
    assert not Program.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_program_code_that_is_not_a_slug():
    with pytest.raises(IntegrityError):
        ProgramFactory(code="bad code")


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    first, second = StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    created = json.loads(first.getvalue())["rows"]
    again = json.loads(second.getvalue())["rows"]
    # 25 owners x 3 channels + 8 buses x 2 channels = 91 rows.
    assert created["created"] == 91
    assert again == {"created": 0, "updated": 0, "unchanged": 91, "rejected": 0, "errors": []}
    assert Program.objects.count() == 2
    # The demo export tariff is imported once and found again on the second run.
    tariffs = json.loads(first.getvalue())["tariffs"]
    tariffs_again = json.loads(second.getvalue())["tariffs"]
    assert [(t["code"], t["version"], t["outcome"]) for t in tariffs] == [
        ("pde-tou-export", 1, "created")
    ]
    assert [(t["code"], t["version"], t["outcome"]) for t in tariffs_again] == [
        ("pde-tou-export", 1, "unchanged")
    ]
    assert list(
        Rule.objects.filter(kind="EXPORT_TARIFF").values_list(
            "rule_set__program__code", "parameters__plan", "rule_set__effective_from"
        )
    ) == [("nbt-export", "pde-tou-export", dt.date(2025, 1, 1))]
    # A week of quarter-hours on 25 revenue meters: 25 x 7 x 96 = 16,800 readings, once.
    readings = json.loads(first.getvalue())["readings"]
    readings_again = json.loads(second.getvalue())["readings"]
    assert (readings["accepted"], readings["duplicate_upload"]) == (16_800, False)
    assert readings_again == {**readings, "duplicate_upload": True}
    # Plus the demo events' hourly sub-meter readings, 7-29 July (23 days x 24 hours): six
    # car export channels and eight buses with export and import, (6 + 16) x 552 = 12,144.
    events = json.loads(first.getvalue())["events"]
    assert events["readings_accepted"] == 12_144
    assert json.loads(second.getvalue())["events"] == {**events, "readings_accepted": 12_144}
    assert Reading.objects.count() == 16_800 + 12_144
    # Owner 1 exports 2,475 Wh per evening quarter-hour (16 a day) and 40 Wh otherwise
    # (80 a day): 7 x (16 x 2,475 + 80 x 40) = 7 x 42,800 = 299,600 Wh.
    owner_one = Reading.objects.filter(channel__meter_id="RM-100001", channel__kind="SITE_EXPORT")
    assert sum(owner_one.values_list("wh", flat=True)) == 299_600
