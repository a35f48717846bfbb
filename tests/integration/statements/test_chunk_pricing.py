"""A chunk prices its participants in one rating-core call per tariff version and dates, and
every statement is exactly what pricing its participant alone gives."""

import datetime as dt
from decimal import Decimal

import pytest

from settlement.rating.tariff import Tier, TouPeriod, TouTariff
from settlement.statements import periods
from settlement.statements.lines import channel_rating, computation, inputs
from settlement.statements.lines.export_rules import export_rule_parts
from settlement.statements.models import Statement
from settlement.statements.runs import operations
from tests.factories import ChannelFactory, EnrollmentFactory, SiteFactory
from tests.settlement_fixtures import (
    LA,
    PEAK_HOURS,
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
)

pytestmark = pytest.mark.django_db
JULY = periods.month("2025-07", time_zone=LA)
NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)


def tiered_tariff() -> TouTariff:
    # Peak 16:00-21:00 every day: $0.30/kWh up to 20 kWh a month, $0.10 above; Off-peak $0.05.
    row = tuple(1 if hour in PEAK_HOURS else 0 for hour in range(24))
    schedule = tuple(row for _ in range(12))
    return TouTariff(
        time_zone=LA,
        periods=(
            TouPeriod("Off-peak", Decimal("0.05")),
            TouPeriod(
                "Peak",
                Decimal("0.30"),
                tiers=(Tier(Decimal("20"), Decimal("0.30")), Tier(None, Decimal("0.10"))),
            ),
        ),
        weekday_schedule=schedule,
        weekend_schedule=schedule,
    )


def _estimated_and_missing(local):
    if local.day == 3 and local.hour in PEAK_HOURS:
        return "ESTIMATED"
    return "MISSING" if local.day == 4 and local.hour < 6 else ""


@pytest.fixture
def five_participants(tmp_path):
    program = make_program(pay_estimated=False, tariff=tiered_tariff())
    rows = []
    # Full July, 1 kWh each peak hour: 155 kWh of peak, far into tier 2 alone.
    enroll(program, "a@example.com", "RM-A")
    rows += hourly_rows("RM-A", dt.date(2025, 7, 1), 31, peak_or_off_peak(1000, 100))
    # Four days, 0.9 kWh a peak hour: 18 kWh, inside tier 1 alone (together with RM-A it
    # would not be).
    enroll(program, "b@example.com", "RM-B")
    rows += hourly_rows("RM-B", dt.date(2025, 7, 1), 4, peak_or_off_peak(900, 50))
    # Estimated peak hours on July 3 (held), missing early hours on July 4.
    enroll(program, "c@example.com", "RM-C")
    rows += hourly_rows(
        "RM-C", dt.date(2025, 7, 1), 5, peak_or_off_peak(2000, 100), _estimated_and_missing
    )
    # Enrolled from July 10: other dates, so another core call.
    site = SiteFactory(participant__email="d@example.com", timezone=LA)
    EnrollmentFactory(site=site, program=program, starts_on=dt.date(2025, 7, 10))
    ChannelFactory(site=site, meter_id="RM-D", kind="SITE_EXPORT")
    rows += hourly_rows("RM-D", dt.date(2025, 7, 10), 3, peak_or_off_peak(3000, 10))
    # No readings at all: not settleable, and never rated.
    enroll(program, "e@example.com", "RM-E")
    ingest_rows(tmp_path, rows)
    return program


def _alone(program, participant_id):
    # What the statement of one participant is when it is computed by itself.
    enrollments = inputs.enrollments_in_period(
        program=program, period=JULY, participant_ids=[participant_id]
    )
    parts, gaps = export_rule_parts(program=program, start=JULY.start, end=JULY.end)
    site_ids = [enrollment.site_id for enrollment in enrollments[participant_id]]
    channels_by_site = inputs.channels_of_sites(site_ids=site_ids, kind="SITE_EXPORT")
    channels = [channel for found in channels_by_site.values() for channel in found]
    return computation.compute_statement(
        participant_id=participant_id,
        enrollments=enrollments[participant_id],
        parts=parts,
        gaps=gaps,
        channels_by_site=channels_by_site,
        readings=inputs.readings_of_channels(channels=channels, period=JULY),
        ratings=channel_rating.ChannelRatings(),
        currency=program.currency,
    )


def _stored(statement):
    return [
        (line.kind, line.label, line.match_key, line.kwh, line.price, line.amount, line.lineage)
        for line in statement.lines.order_by("number")
    ]


def _computed(computed):
    return [
        (line.kind, line.label, line.match_key, line.kwh, line.price, line.amount, line.lineage)
        for line in computed.lines
    ]


def test_a_chunk_prices_once_per_version_and_dates_and_matches_each_alone(
    five_participants, monkeypatch
):
    calls = []
    price_batches = channel_rating.price_batches

    def counted(batches, tariff, **period):
        calls.append(len(batches))
        return price_batches(batches, tariff, **period)

    monkeypatch.setattr(channel_rating, "price_batches", counted)
    run = operations.start_run(
        program=five_participants, period=JULY, run_type="INITIAL", started_by=None, now=NOW
    )
    run = operations.settle_inline(run=run, now=NOW)

    assert run.status == "COMPLETED"
    # One chunk: the full-July channels A, B, C in one call, D (from July 10) in another;
    # E has nothing to rate.
    assert sorted(calls) == [1, 3]
    monkeypatch.undo()
    statements = list(Statement.objects.filter(run=run).order_by("participant_id"))
    assert len(statements) == 5
    for statement in statements:
        assert _stored(statement) == _computed(_alone(five_participants, statement.participant_id))


def test_tiers_fill_per_participant_in_a_chunk(five_participants):
    run = operations.start_run(
        program=five_participants, period=JULY, run_type="INITIAL", started_by=None, now=NOW
    )
    operations.settle_inline(run=run, now=NOW)

    def energy(email):
        statement = Statement.objects.get(run=run, participant__email=email)
        return [
            (line.label, line.kwh, line.amount)
            for line in statement.lines.filter(kind="EXPORT_ENERGY").order_by("number")
        ]

    # RM-A: 31 x 19 x 0.1 = 58.9 kWh off-peak x 0.05 = $2.945 -> $2.95; peak 155 kWh: 20 at
    # $0.30 = $6.00, 135 at $0.10 = $13.50.
    assert energy("a@example.com") == [
        ("Off-peak", Decimal("58.900"), Decimal("2.95")),
        ("Peak tier 1", Decimal("20.000"), Decimal("6.00")),
        ("Peak tier 2", Decimal("135.000"), Decimal("13.50")),
    ]
    # RM-B: 4 x 19 x 0.05 = 3.8 kWh x 0.05 = $0.19; peak 4 x 5 x 0.9 = 18 kWh x 0.30 = $5.40,
    # all in tier 1 although RM-A's energy in the same call is far past 20 kWh.
    assert energy("b@example.com") == [
        ("Off-peak", Decimal("3.800"), Decimal("0.19")),
        ("Peak tier 1", Decimal("18.000"), Decimal("5.40")),
    ]
