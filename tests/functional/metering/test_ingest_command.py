"""`manage.py ingest` end to end: every format, DST days, duplicates, hostile files."""

import datetime as dt

import pytest

from accounts.models import Channel
from settlement.metering.models import Reading, Upload, UploadProblem
from tests.factories import ChannelFactory, EnrollmentFactory, SiteFactory
from tests.metering_fixtures import METERING, SAMPLES, canonical

pytestmark = pytest.mark.django_db


def channel_summary(summary, kind):
    return next(c for c in summary["channels"] if c["channel"] == kind)


def test_canonical_csv_is_stored_and_summarized(site, run_ingest):
    code, summary = run_ingest(
        canonical(
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,0,",
            "SITE-7,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,2600,,ESTIMATED",
        )
    )

    assert code == 0
    assert summary["format"] == "canonical-csv"
    assert summary["status"] == "PROCESSED"
    assert (summary["accepted"], summary["duplicates"], summary["revised"]) == (3, 0, 0)
    assert summary["rejected"] == 0
    assert channel_summary(summary, "SITE_EXPORT") == {
        "meter_id": "SITE-7",
        "channel": "SITE_EXPORT",
        "intervals": 2,
        "wh": 5100,
        "first_start": "2024-05-22T17:00:00+00:00",
        "last_end": "2024-05-22T17:30:00+00:00",
    }
    estimated = Reading.objects.get(channel__kind="SITE_EXPORT", start__minute=15)
    assert (estimated.wh, estimated.quality, estimated.revision) == (2600, "ESTIMATED", 1)


def test_green_button_export_flow_direction_19_goes_to_the_export_channel(site, run_ingest):
    code, summary = run_ingest(METERING / "espi_export_prefixed.xml", "--meter", "SITE-7")

    assert code == 0
    assert summary["format"] == "espi-xml"
    assert channel_summary(summary, "SITE_EXPORT")["wh"] == 1200 + 1350 + 0 + 980
    assert channel_summary(summary, "SITE_IMPORT")["wh"] == 300 + 310 + 320 + 330
    assert channel_summary(summary, "SITE_EXPORT")["first_start"] == "2024-05-22T00:00:00+00:00"
    assert channel_summary(summary, "SITE_EXPORT")["last_end"] == "2024-05-22T01:00:00+00:00"


def test_real_green_button_sample_with_meter_given(run_ingest):
    site = SiteFactory(timezone="America/New_York")
    EnrollmentFactory(site=site, starts_on=dt.date(2013, 1, 1))
    ChannelFactory(site=site, meter_id="GB-2", kind=Channel.Kind.SITE_IMPORT)

    code, summary = run_ingest(
        SAMPLES / "greenbutton" / "gba_hourly_nine_days.xml", "--meter", "GB-2"
    )

    assert code == 0
    channel = channel_summary(summary, "SITE_IMPORT")
    assert channel["intervals"] == 9 * 24
    assert channel["first_start"] == "2014-01-01T05:00:00+00:00"
    assert channel["last_end"] == "2014-01-10T05:00:00+00:00"
    assert summary["gaps"] == 0


def test_real_sce_sample_received_block_is_export(site, run_ingest):
    code, summary = run_ingest(
        SAMPLES / "sce" / "sce_green_button_usage_15min.csv", "--meter", "SITE-7"
    )

    assert code == 0
    assert summary["format"] == "sce-csv"
    assert channel_summary(summary, "SITE_EXPORT")["intervals"] == 96
    assert channel_summary(summary, "SITE_IMPORT")["intervals"] == 96
    # Local midnight of 2024-05-22 in Los Angeles (PDT) is 07:00 UTC.
    assert channel_summary(summary, "SITE_IMPORT")["first_start"] == "2024-05-22T07:00:00+00:00"
    assert Reading.objects.count() == 192


@pytest.mark.parametrize(
    "case",
    [
        (
            "pge_spring_forward_2024-03-10.csv",
            92,
            "2024-03-10T08:00:00+00:00",
            "2024-03-11T07:00:00+00:00",
        ),
        (
            "pge_fall_back_2024-11-03.csv",
            100,
            "2024-11-03T07:00:00+00:00",
            "2024-11-04T08:00:00+00:00",
        ),
        (
            "sce_spring_forward_2024-03-10.csv",
            92,
            "2024-03-10T08:00:00+00:00",
            "2024-03-11T07:00:00+00:00",
        ),
        (
            "sce_fall_back_2024-11-03.csv",
            100,
            "2024-11-03T07:00:00+00:00",
            "2024-11-04T08:00:00+00:00",
        ),
    ],
)
def test_dst_days_store_every_quarter_hour_without_false_gaps(site, run_ingest, case):
    name, intervals, first, last = case
    code, summary = run_ingest(METERING / name, "--meter", "SITE-7")

    assert code == 0
    assert summary["gaps"] == 0
    assert summary["rejected"] == 0
    export = channel_summary(summary, "SITE_EXPORT")
    assert (export["intervals"], export["first_start"], export["last_end"]) == (
        intervals,
        first,
        last,
    )
    assert Reading.objects.filter(channel__kind="SITE_EXPORT").count() == intervals


def test_ocpp_export_register_with_a_reset_books_no_negative_delta(site, charger_meter, run_ingest):
    code, summary = run_ingest(METERING / "ocpp16_export_register_reset.json", "--meter", "CP-1")

    assert code == 0
    export = channel_summary(summary, "EVSE_EXPORT")
    # 1000 -> 1250 -> 1600 (kWh 1.600) -> 50 (reset: MISSING, 0) -> 300.
    assert (export["intervals"], export["wh"]) == (4, 250 + 350 + 0 + 250)
    reset = Reading.objects.get(
        channel__kind="EVSE_EXPORT", start=dt.datetime(2024, 5, 22, 17, 30, tzinfo=dt.UTC)
    )
    assert (reset.wh, reset.quality) == (0, "MISSING")


def test_the_same_file_twice_is_a_duplicate_upload(site, run_ingest):
    content = canonical("SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,,")
    _, first = run_ingest(content)

    code, again = run_ingest(content)

    assert code == 0
    assert again["duplicate_upload"] is True
    assert again["upload_id"] == first["upload_id"]
    assert Upload.objects.count() == 1
    assert Reading.objects.count() == 1


def test_unknown_meter_rejects_the_file(site, run_ingest):
    code, answer = run_ingest(METERING / "espi_export_prefixed.xml", "--meter", "NOPE")

    assert code == 2
    assert answer["error"]["code"] == "upload_rejected"
    summary = answer["error"]["details"]
    assert summary["status"] == "REJECTED"
    assert summary["rejection"]["code"] == "unknown_meter"
    assert Reading.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "code_expected"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (
            (
                b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><content>'
                b'<IntervalBlock xmlns="http://naesb.org/espi"><IntervalReading><value>1'
            ),
            None,
        ),
        (
            (
                b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content>'
                b'<UsagePoint xmlns="http://naesb.org/espi">&lol2;</UsagePoint></content></entry></feed>'
            ),
            None,
        ),
        (canonical("SITE-7,9999-12-31T23:45:00Z,9999-12-31T23:59:00Z,10,,"), "no_valid_readings"),
        (
            canonical("SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,99999999999999999999999,,"),
            "no_valid_readings",
        ),
    ],
    ids=["zero-bytes", "binary", "truncated-xml", "entity-attack", "year-9999", "huge-number"],
)
def test_hostile_files_are_rejected_whole_and_kept_with_a_report(
    site, run_ingest, content, code_expected
):
    code, answer = run_ingest(content, "--meter", "SITE-7")

    assert code == 2
    assert answer["error"]["code"] == "upload_rejected"
    summary = answer["error"]["details"]
    assert summary["status"] == "REJECTED"
    if code_expected:
        assert summary["rejection"]["code"] == code_expected
    assert summary["rejection"]["reason"]
    upload = Upload.objects.get(pk=summary["upload_id"])
    assert upload.file.size == len(content)
    assert upload.problems.filter(kind=UploadProblem.Kind.FILE).count() == 1
    assert Reading.objects.count() == 0


def test_a_file_over_the_size_limit_is_rejected(site, run_ingest, settings):
    settings.METERING_MAX_UPLOAD_BYTES = 100
    content = canonical(*["SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,1,,"] * 5)

    code, answer = run_ingest(content)

    assert code == 2
    assert answer["error"]["code"] == "upload_rejected"
    summary = answer["error"]["details"]
    assert summary["rejection"]["code"] == "too_large"
    assert Upload.objects.get().file.size == 100
    assert Reading.objects.count() == 0


def test_a_file_broken_half_way_commits_nothing(site, run_ingest):
    content = canonical(
        "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,,",
        "SITE-7,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,-1,,",
        'SITE-7,"2024-05-22T17:30:00Z,2024-05-22T17:45:00Z,2500,,',
    )

    code, answer = run_ingest(content)

    assert code == 2
    assert answer["error"]["code"] == "upload_rejected"
    summary = answer["error"]["details"]
    assert summary["rejection"]["code"] == "malformed"
    # The row rejected before the break is still in the report.
    assert [e["field"] for e in summary["errors"]] == ["wh", "file"]
    assert Reading.objects.count() == 0
