"""The same ingest scenarios through the portable store and the PostgreSQL COPY store."""

import datetime as dt
import io

import pytest
from django.db import DatabaseError, connection

from accounts.models import Channel
from settlement.metering import operations, store_postgres
from settlement.metering.models import Reading, ReadingRevision, Upload
from settlement.metering.operations import UploadFailed
from tests.factories import ChannelFactory, EnrollmentFactory, SiteFactory
from tests.metering_fixtures import NOW, canonical

# Transactional: the pipelined store merges on a second connection, which sees only
# committed rows (as it does in production, where uploads are committed before processing).
pytestmark = pytest.mark.django_db(transaction=True)


def ingest(content: bytes, storage: str, **kwargs):
    return operations.ingest(
        stream=io.BytesIO(content), filename="f.csv", now=NOW, storage=storage, **kwargs
    ).upload


def at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2024, 5, 22, hour, minute, tzinfo=dt.UTC)


ROWS = (
    "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,100,",
    "SITE-7,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,2600,110,",
)


def test_a_fresh_load_inserts_one_reading_per_interval(site, storage):
    upload = ingest(canonical(*ROWS), storage)

    assert (upload.status, upload.accepted, upload.duplicates, upload.revised) == (
        "PROCESSED",
        4,
        0,
        0,
    )
    assert ReadingRevision.objects.count() == 0
    assert sorted(Reading.objects.values_list("channel__kind", "wh", "revision")) == [
        ("SITE_EXPORT", 2500, 1),
        ("SITE_EXPORT", 2600, 1),
        ("SITE_IMPORT", 100, 1),
        ("SITE_IMPORT", 110, 1),
    ]


def test_the_same_readings_in_another_file_are_duplicates(site, storage):
    ingest(canonical(*ROWS), storage)

    again = ingest(canonical(*ROWS) + b"\n", storage)  # other bytes, same readings

    assert (again.accepted, again.duplicates, again.revised) == (0, 4, 0)
    assert Reading.objects.count() == 4
    assert not Reading.objects.filter(upload=again).exists()


def test_a_changed_value_is_a_revision_keeping_the_old_value(site, storage):
    first = ingest(canonical(*ROWS), storage)

    second = ingest(
        canonical("SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2700,,EDITED"), storage
    )

    assert (second.accepted, second.duplicates, second.revised) == (0, 0, 1)
    current = Reading.objects.get(channel__kind="SITE_EXPORT", start=at(17, 0))
    assert (current.wh, current.quality, current.revision, current.upload_id) == (
        2700,
        "EDITED",
        2,
        second.pk,
    )
    old = ReadingRevision.objects.get()
    assert (old.reading_id, old.revision, old.wh, old.quality, old.upload_id) == (
        current.pk,
        1,
        2500,
        "ACTUAL",
        first.pk,
    )
    assert old.superseded_by_id == second.pk


def test_every_validation_rule_rejects_with_its_reason(site, charger_meter, storage):
    upload = ingest(
        canonical(
            "SITE-7,2024-05-22T17:05:00Z,2024-05-22T17:20:00Z,1,,",  # 2 misaligned
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,-5,,",  # 3 negative
            "SITE-7,2025-07-01T00:00:00Z,2025-07-01T00:15:00Z,1,,",  # 4 future
            "SITE-7,2023-12-01T08:00:00Z,2023-12-01T08:15:00Z,1,,",  # 5 before enrollment
            "CP-1,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2876,,",  # 6 above 11.5 kW
            "CP-1,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,2875,,",  # 7 exactly 11.5 kW: ok
            "SITE-7,2024-05-22T18:00:00Z,2024-05-22T18:15:00Z,10,,",  # 8 ok
            "SITE-7,2024-05-22T18:00:00Z,2024-05-22T18:15:00Z,11,,",  # 9 duplicate of 8
            "SITE-7,2024-05-22T18:00:00Z,2024-05-22T19:00:00Z,40,,",  # 10 duplicate start
            "SITE-7,2024-05-22T17:45:00Z,2024-05-22T18:00:00Z,10,,",  # 11 out of order
            "SITE-7,2024-05-22T19:00:00Z,2024-05-22T20:00:00Z,10,,",  # 12 ok, gap 18:15-19:00
            "SITE-7,2024-05-22T19:30:00Z,2024-05-22T19:45:00Z,10,,",  # 13 overlaps 12
            "NOPE,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,1,,",  # 14 unknown meter
        ),
        storage,
    )

    problems = list(upload.problems.order_by("seq").values_list("kind", "location", "field"))
    assert problems == [
        ("REJECTED", "line 2", "start"),
        ("REJECTED", "line 3", "wh"),
        ("REJECTED", "line 4", "start"),
        ("REJECTED", "line 5", "start"),
        ("REJECTED", "line 6", "wh"),
        ("REJECTED", "line 9", "start"),
        ("REJECTED", "line 10", "start"),
        ("REJECTED", "line 11", "start"),
        ("GAP", "SITE-7/SITE_EXPORT", "start"),
        ("REJECTED", "line 13", "start"),
        ("REJECTED", "line 14", "meter_id"),
    ]
    reasons = [p.reason for p in upload.problems.order_by("seq")]
    assert "not aligned" in reasons[0]
    assert "negative energy -5 Wh" in reasons[1]
    assert "in the future" in reasons[2]
    assert "outside every enrollment" in reasons[3]
    assert "(11.500 kW x 900 s = 2875.000 Wh)" in reasons[4]
    assert reasons[5] == "duplicate of the interval at line 8"
    assert "out of order" in reasons[7]
    assert "(2700 s)" in reasons[8]
    assert "overlaps the interval at line 12" in reasons[9]
    assert reasons[10] == "no export channel for meter 'NOPE'"
    assert (upload.accepted, upload.rejected, upload.gaps, upload.status) == (3, 10, 1, "PROCESSED")


def test_short_gaps_are_interpolated_when_the_program_allows(site, storage, program_settings):
    program_settings(60)

    upload = ingest(
        canonical(
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,100,,",
            "SITE-7,2024-05-22T17:45:00Z,2024-05-22T18:00:00Z,400,,",
        ),
        storage,
    )

    assert (upload.accepted, upload.estimated, upload.gaps) == (2, 2, 1)
    estimates = Reading.objects.filter(quality="ESTIMATED").order_by("start")
    # 100 + (400 - 100) x 1/3 and x 2/3.
    assert [(r.start, r.wh) for r in estimates] == [(at(17, 15), 200), (at(17, 30), 300)]


def test_an_estimate_never_replaces_a_stored_value(site, storage, program_settings):
    program_settings(60)
    ingest(canonical("SITE-7,2024-05-22T17:15:00Z,2024-05-22T17:30:00Z,999,,"), storage)

    upload = ingest(
        canonical(
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,100,,",
            "SITE-7,2024-05-22T17:45:00Z,2024-05-22T18:00:00Z,400,,",
        ),
        storage,
    )

    assert upload.estimated == 1
    assert Reading.objects.get(start=at(17, 15)).wh == 999


def test_gaps_longer_than_the_program_allows_stay_gaps(site, storage, program_settings):
    program_settings(15)

    upload = ingest(
        canonical(
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,100,,",
            "SITE-7,2024-05-22T17:45:00Z,2024-05-22T18:00:00Z,400,,",
        ),
        storage,
    )

    assert (upload.estimated, upload.gaps) == (0, 1)
    assert Reading.objects.count() == 2


def test_a_file_rejected_half_way_commits_no_reading(site, storage):
    upload = ingest(canonical(*ROWS) + b'SITE-7,"2024-05-22T17:30:00Z,x\n', storage)

    assert (upload.status, upload.rejection_code) == ("REJECTED", "malformed")
    assert Reading.objects.count() == 0


def test_channels_outside_the_site_scope_are_rejected(site, other_site, storage):
    upload = ingest(
        canonical(
            "SITE-7,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,1,,",
            "OTHER-1,2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,1,,",
        ),
        storage,
        site=site,
    )

    assert upload.accepted == 1
    assert (
        upload.problems.get().reason
        == "no export channel for meter 'OTHER-1' at this upload's site"
    )
    assert not Reading.objects.filter(channel__meter_id="OTHER-1").exists()
    assert Channel.objects.filter(meter_id="OTHER-1").exists()


def test_a_failing_merge_thread_rolls_back_every_chunk_and_raises(site, settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the merge thread needs PostgreSQL")
    settings.METERING_PIPELINE_MIN_BYTES = 0
    monkeypatch.setattr(store_postgres, "COPY_CHUNK", 1)
    merge = store_postgres._merge
    calls = []

    def merge_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise DatabaseError("the disk is full")
        return merge(*args, **kwargs)

    monkeypatch.setattr(store_postgres, "_merge", merge_then_fail)

    with pytest.raises(UploadFailed) as failure:
        ingest(canonical(*ROWS), "postgres")

    assert isinstance(failure.value.__cause__, DatabaseError)
    # The first chunk was merged before the failure, in the same transaction: gone too.
    assert len(calls) == 2
    assert Reading.objects.count() == 0
    upload = Upload.objects.get()
    assert upload.status == Upload.Status.FAILED
    assert [p.reason for p in upload.problems.all()] == [
        "processing stopped on an error (DatabaseError): the disk is full"
    ]


def test_alignment_is_counted_from_the_sites_local_hour(db, storage):
    # St. John's is UTC-2:30 in May (NDT): its hours start at :30 UTC. An hourly reading
    # from 17:30Z (15:00 local) is aligned; one from 19:00Z (16:30 local) is not, although
    # it starts on a UTC hour. A quarter hour from 18:30Z (16:00 local) is aligned.
    st_johns = SiteFactory(account_number="ACCT-NL", timezone="America/St_Johns")
    EnrollmentFactory(site=st_johns, starts_on=dt.date(2024, 1, 1))
    ChannelFactory(site=st_johns, meter_id="NL-1", kind=Channel.Kind.SITE_EXPORT)

    upload = ingest(
        canonical(
            "NL-1,2024-05-22T17:30:00Z,2024-05-22T18:30:00Z,1000,,",
            "NL-1,2024-05-22T18:30:00Z,2024-05-22T18:45:00Z,250,,",
            "NL-1,2024-05-22T19:00:00Z,2024-05-22T20:00:00Z,1000,,",
        ),
        storage,
    )

    starts = list(Reading.objects.filter(channel__meter_id="NL-1").values_list("start", "wh"))
    assert sorted(starts) == [(at(17, 30), 1000), (at(18, 30), 250)]
    assert list(upload.problems.values_list("location", "field", "reason")) == [
        (
            "line 4",
            "start",
            (
                "start 2024-05-22T19:00:00+00:00 is not aligned to its 3600 s interval "
                "(counted from the local hour in America/St_Johns)"
            ),
        )
    ]
