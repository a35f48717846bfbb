"""Property: whatever the readings, prices and revisions, the lines of every run of a period
add up, key by key, to a fresh initial settlement of the final data.

Besides exports, both programs pay availability: $10.00 for a month with one 18:00-20:00
window fully covered by the charger's readings, which get the same values and revisions
as the revenue meter, so a revision can earn or lose the reward."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts import operations as account_operations
from accounts import roles
from settlement.metering.models import Reading, ReadingRevision, Upload
from settlement.statements import periods
from settlement.statements.models import ProgramSettlementSettings, Statement, StatementLine
from settlement.statements.review import decisions
from settlement.statements.runs import operations
from tests.factories import ChannelFactory, ChargerFactory, EnrollmentFactory, UserFactory
from tests.settlement_fixtures import LA, ZONE, enroll, make_program, tou_tariff

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
HOURS = 48  # July 1-2, hourly
FIRST_HOUR = dt.datetime.combine(dt.date(2025, 7, 1), dt.time(0), tzinfo=ZONE).astimezone(dt.UTC)
prices = st.decimals(min_value="0.00001", max_value="3.00000", places=5)
qualities = st.sampled_from(["ACTUAL", "ACTUAL", "ACTUAL", "ESTIMATED", "MISSING"])
hour_values = st.tuples(st.integers(min_value=0, max_value=12_000), qualities)
channel_data = st.lists(hour_values, min_size=HOURS, max_size=HOURS)
revision_round = st.lists(
    st.tuples(st.integers(min_value=0, max_value=HOURS - 1), hour_values), min_size=1, max_size=6
)


def _upload() -> Upload:
    return Upload.objects.create(
        file="metering/property.csv",
        size_bytes=0,
        sha256="0" * 64,
        target="property",
        received_at=NOW,
    )


def _pay_availability(program) -> None:
    program.rule_sets.get().rules.create(
        name="plugged-in",
        kind="AVAILABILITY",
        parameters={
            "amount": "10.00",
            "windows_per_month": 1,
            "window_start": "18:00",
            "window_end": "20:00",
        },
    )


def _approve_all(run, approver) -> None:
    for statement in Statement.objects.filter(run=run).order_by("pk"):
        decisions.approve(statement=statement, actor=approver, reason="property", now=NOW)


def _booked(program) -> dict[tuple[int, str], Decimal]:
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for participant, key, amount in StatementLine.objects.filter(
        statement__run__program=program, statement__state="APPROVED"
    ).values_list("statement__participant_id", "match_key", "amount"):
        sums[(participant, key)] += amount
    return {key: value for key, value in sums.items() if value}


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    peak=prices,
    off_peak=prices,
    pay_estimated=st.booleans(),
    data=st.lists(channel_data, min_size=1, max_size=2),
    rounds=st.lists(st.lists(revision_round, min_size=1, max_size=2), min_size=1, max_size=2),
)
def test_all_runs_add_up_to_a_fresh_settlement_of_the_final_data(
    staff_roles, *, peak, off_peak, pay_estimated, data, rounds
):
    with transaction.atomic():
        tariff = tou_tariff(peak=peak, off_peak=off_peak)
        program = make_program("paid", pay_estimated=pay_estimated, tariff=tariff)
        _pay_availability(program)
        ProgramSettlementSettings.objects.create(
            program=program, two_approver_amount=Decimal("1000000")
        )
        approver = UserFactory(email="avery@utility.example.com", is_staff=True)
        approver.groups.add(account_operations.ensure_staff_roles()[roles.APPROVER])
        upload = _upload()
        channels = []
        for number, hours in enumerate(data):
            _, channel = enroll(program, f"p{number}@example.com", f"RM-{number}")
            charger = ChannelFactory(
                site=channel.site,
                meter_id=f"SM-{number}",
                kind="EVSE_IMPORT",
                charger=ChargerFactory(site=channel.site),
            )
            channels.append((channel, charger))
            Reading.objects.bulk_create(
                Reading(
                    channel=each,
                    start=FIRST_HOUR + dt.timedelta(hours=hour),
                    duration_s=3600,
                    wh=wh,
                    quality=quality,
                    upload=upload,
                    received_at=NOW,
                )
                for hour, (wh, quality) in enumerate(hours)
                for each in (channel, charger)
            )
        july = periods.month("2025-07", time_zone=LA)
        run = operations.start_run(
            program=program, period=july, run_type="INITIAL", started_by=None, now=NOW
        )
        _approve_all(operations.settle_inline(run=run, now=NOW), approver)
        for changes_by_channel in rounds:
            for pair, changes in zip(channels, changes_by_channel, strict=False):
                for (hour, (wh, quality)), channel in (
                    (change, each) for change in changes for each in pair
                ):
                    reading = Reading.objects.get(
                        channel=channel, start=FIRST_HOUR + dt.timedelta(hours=hour)
                    )
                    if (reading.wh, reading.quality) == (wh, quality):
                        continue
                    ReadingRevision.objects.create(
                        reading=reading,
                        revision=reading.revision,
                        duration_s=reading.duration_s,
                        wh=reading.wh,
                        quality=reading.quality,
                        upload=upload,
                        received_at=reading.received_at,
                        superseded_by=upload,
                        superseded_at=NOW,
                    )
                    Reading.objects.filter(pk=reading.pk).update(
                        wh=wh, quality=quality, revision=reading.revision + 1
                    )
            recalculation = operations.start_run(
                program=program, period=july, run_type="RECALCULATION", started_by=None, now=NOW
            )
            _approve_all(operations.settle_inline(run=recalculation, now=NOW), approver)

        # A second program paying by the same tariff version settles the final data afresh.
        fresh = make_program("fresh", pay_estimated=pay_estimated, tariff=tariff)
        fresh.rule_sets.get().rules.filter(kind="EXPORT_TARIFF").update(
            parameters={
                "plan": "paid-tou",
                "channel_kind": "SITE_EXPORT",
                "pay_estimated": pay_estimated,
            },
            plan=program.rule_sets.get().rules.get(kind="EXPORT_TARIFF").plan,
        )
        _pay_availability(fresh)
        for channel, _ in channels:
            EnrollmentFactory(site=channel.site, program=fresh, starts_on=dt.date(2025, 1, 1))
        fresh_run = operations.start_run(
            program=fresh, period=july, run_type="INITIAL", started_by=None, now=NOW
        )
        _approve_all(operations.settle_inline(run=fresh_run, now=NOW), approver)

        assert _booked(program) == _booked(fresh)
        # How often the reward was earned at the end (see --hypothesis-show-statistics).
        paid = any(key.startswith("availability:") for _, key in _booked(fresh))
        event(f"availability paid: {paid}")
        transaction.set_rollback(True)
