"""Statement line labels write money in the program's currency, never a hard-coded "$".

Program `eur-offers` (America/Los_Angeles) keeps its statements in EUR. Rules from
2025-01-01, all on the charger's export sub-meter:
- EXPORT_TARIFF: an hourly vector, every July hour generation €0.20/kWh, delivery €0.01/kWh.
- ACCEPTED_OFFER: the event's price, less €0.50 for each kWh below half the commitment.
- SEASONAL_CAPACITY: €20/kW, season July only.
- AVAILABILITY: €10.00 for a month with 25 windows 18:00-22:00 covered by charger data.

The event: Tue 15 July 17:00-19:00 PDT at €1.00/kWh. Olivia commits 5 kW (10 kWh) and
exports 2000 Wh at 17:00 and 1000 Wh at 18:00, nothing the rest of July. By hand:
- Vector, July weekdays 17:00: 2.000 kWh x 0.20 = 0.40 (generation), x 0.01 = 0.02
  (delivery); 18:00: 1.000 kWh x 0.20 = 0.20, x 0.01 = 0.01.
- Offer: 3 kWh x €1.00 = 3.00, less (0.5 x 10 - 3) = 2 kWh x €0.50 = 1.00 short: €2.00.
- Capacity: 3 kWh over 2 event hours = 1.5 kW x €20 = €30.00.
- Availability: every hour of July is read, so 31 of 31 windows: €10.00.
- Total 0.63 + 2.00 + 30.00 + 10.00 = €42.63.
Then her 18:00 export is corrected to 500 Wh. Recalculation, by hand:
- 18:00 generation 0.500 kWh x 0.20 = 0.10 (was 0.20); delivery 0.500 x 0.01 = 0.005 ->
  0.01 (was 0.01: the same amount, but the kWh changed).
- Offer: 2.5 kWh x €1.00 = 2.50, less (5 - 2.5) = 2.5 kWh x €0.50 = 1.25: €1.25 (was 2.00).
- Capacity: 2.5 kWh / 2 h = 1.25 kW x €20 = €25.00 (was 30.00).
- Availability: unchanged, so no line. Total -0.10 + 0.00 - 0.75 - 5.00 = -€5.85.
"""

import datetime as dt
from decimal import Decimal

import pytest

from accounts import operations as account_operations
from accounts import roles
from settlement.events import operations as event_operations
from settlement.programs import operations as program_operations
from settlement.rating.tariff import DayType, HourlyVectorTariff, VectorPrice
from settlement.statements import periods
from settlement.statements.models import ProgramSettlementSettings, Statement
from settlement.statements.review import decisions
from settlement.statements.runs import operations, reproduction
from settlement.tariffs import definitions
from settlement.tariffs.models import TariffPlan, TariffVersion
from tests.event_fixtures import Owner, add_hours, dispatch, local_hour
from tests.factories import ProgramFactory, UserFactory
from tests.settlement_fixtures import CREATED, LA, ingest_rows

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)
EVENT_DAY = dt.date(2025, 7, 15)
NOW = dt.datetime(2025, 8, 5, tzinfo=dt.UTC)
EN_DASH = "\u2013"


def _vector_plan() -> TariffPlan:
    tariff = HourlyVectorTariff(
        time_zone=LA,
        by_month_day_type_hour={
            (7, day_type, hour): VectorPrice(Decimal("0.20000"), Decimal("0.01000"))
            for day_type in DayType
            for hour in range(24)
        },
    )
    plan = TariffPlan.objects.create(
        code="eur-vector", name="Export vector", timezone=LA, currency="EUR", created_at=CREATED
    )
    TariffVersion.objects.create(
        plan=plan,
        version=1,
        kind=definitions.kind_of(tariff),
        definition=definitions.to_json(tariff),
        effective_from=dt.date(2025, 1, 1),
        source_format="URDB",
        source_sha256="0" * 64,
        created_at=CREATED,
    )
    return plan


def _program():
    program = ProgramFactory(code="eur-offers", name="EUR offers", timezone=LA, currency="EUR")
    plan = _vector_plan()
    program_operations.import_rules(
        program_code=program.code,
        document={
            "effective_from": "2025-01-01",
            "rules": [
                {
                    "name": "export",
                    "kind": "EXPORT_TARIFF",
                    "parameters": {"plan": plan.code, "channel_kind": "EVSE_EXPORT"},
                },
                {
                    "name": "offer",
                    "kind": "ACCEPTED_OFFER",
                    "parameters": {
                        "channel_kind": "EVSE_EXPORT",
                        "shortfall": {"price_per_kwh": "0.50", "below_share": "0.5"},
                    },
                },
                {
                    "name": "summer-capacity",
                    "kind": "SEASONAL_CAPACITY",
                    "parameters": {
                        "channel_kind": "EVSE_EXPORT",
                        "price_per_kw": "20.00",
                        "season_months": [7],
                    },
                },
                {
                    "name": "plugged-in",
                    "kind": "AVAILABILITY",
                    "parameters": {
                        "amount": "10.00",
                        "windows_per_month": 25,
                        "window_start": "18:00",
                        "window_end": "22:00",
                    },
                },
            ],
        },
    )
    ProgramSettlementSettings.objects.create(program=program, two_approver_amount=Decimal(10_000))
    return program


def _settle(program, run_type: str):
    run = operations.start_run(
        program=program,
        period=periods.month("2025-07", time_zone=LA),
        run_type=run_type,
        started_by=None,
        now=NOW,
    )
    return operations.settle_inline(run=run, now=NOW)


@pytest.fixture
def settled():
    program = _program()
    olivia = Owner(program, "olivia@example.com")
    special = {local_hour(EVENT_DAY, 17): 2000, local_hour(EVENT_DAY, 18): 1000}
    hours = [
        local_hour(JULY + dt.timedelta(days=day), hour) for day in range(31) for hour in range(24)
    ]
    add_hours(olivia.export, [(hour, special.get(hour, 0)) for hour in hours])
    event = dispatch(program, local_hour(EVENT_DAY, 17), local_hour(EVENT_DAY, 19), price="1.00")
    event_operations.accept_offer(
        offer=event.offers.get(participant=olivia.participant),
        committed_kw=Decimal(5),
        user=olivia.user,
        now=event.starts_at - dt.timedelta(hours=2),
    )
    return program, olivia, _settle(program, "INITIAL")


def _labels(statement: Statement) -> list[str]:
    return [line.label for line in statement.lines.order_by("number")]


def test_a_euro_programs_lines_name_the_euro_and_never_the_dollar(settled):
    _, olivia, run = settled

    statement = Statement.objects.get(run=run, participant=olivia.participant)

    assert statement.currency == "EUR"
    assert statement.total == Decimal("42.63")
    labels = _labels(statement)
    assert not [label for label in labels if "$" in label]
    assert (
        f"Exported 2.0 kWh on July weekdays 17:00{EN_DASH}18:00 at €0.20/kWh (generation)"
    ) in labels
    assert (
        f"Exported 1.0 kWh on July weekdays 18:00{EN_DASH}19:00 at €0.01/kWh (delivery)"
    ) in labels
    by_kind = {line.kind: line.label for line in statement.lines.all()}
    assert by_kind["ACCEPTED_OFFER"] == (
        "Delivered 3.0 kWh during the 15 Jul grid event at €1.00/kWh, less €1.00 for 2.0 kWh short"
    )
    assert by_kind["CAPACITY"] == (
        "Averaged 1.5 kW over 2 event hours of the 2025 season at €20.00/kW"
    )
    assert by_kind["AVAILABILITY"] == (
        "Plugged in for 31 of 31 windows 18:00-22:00 in July 2025: earns the €10.00 reward"
    )
    # Reproducing the run writes the labels in euros again, so it comes out the same.
    verdict = reproduction.reproduce_run(run=run)
    assert verdict.reproduced, verdict.as_dict()


def test_a_euro_programs_adjustments_after_a_revised_reading_name_the_euro(settled, tmp_path):
    program, olivia, run = settled
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(account_operations.ensure_staff_roles()[roles.APPROVER])
    decisions.approve(
        statement=Statement.objects.get(run=run), actor=approver, reason="checked", now=NOW
    )
    # The meter operator corrects the 18:00 export: 1000 -> 500 Wh (revision 2).
    start = local_hour(EVENT_DAY, 18)
    end = start + dt.timedelta(hours=1)
    summary = ingest_rows(
        tmp_path, [f"{olivia.export.meter_id},{start.isoformat()},{end.isoformat()},500,,"]
    )
    assert summary["revised"] == 1, summary

    recalculation = _settle(program, "RECALCULATION")

    adjustment = Statement.objects.get(run=recalculation)
    assert (adjustment.currency, adjustment.total) == ("EUR", Decimal("-5.85"))
    assert _labels(adjustment) == [
        (
            f"Adjustment to July weekdays 18:00{EN_DASH}19:00 generation: -0.500 kWh "
            "(was 1.000 kWh €0.20, now 0.500 kWh €0.10)"
        ),
        (
            f"Adjustment to July weekdays 18:00{EN_DASH}19:00 delivery: -0.500 kWh "
            "(was 1.000 kWh €0.01, now 0.500 kWh €0.01)"
        ),
        (
            "Adjustment to Delivered 2.5 kWh during the 15 Jul grid event at €1.00/kWh, "
            "less €1.25 for 2.5 kWh short: -0.500 kWh (was 3.000 kWh €2.00, now 2.500 kWh €1.25)"
        ),
        (
            "Adjustment to Averaged 1.25 kW over 2 event hours of the 2025 season at "
            "€20.00/kW: -0.500 kWh (was 3.000 kWh €30.00, now 2.500 kWh €25.00)"
        ),
    ]
    verdict = reproduction.reproduce_run(run=recalculation)
    assert verdict.reproduced, verdict.as_dict()
