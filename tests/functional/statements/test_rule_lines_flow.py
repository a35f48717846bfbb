"""Every program rule on a statement: events, capacity, availability, one-off, by hand.

Program `elrp-all` (America/Los_Angeles), rules from 2025-01-01:
- EXPORT_TARIFF on the charger's export sub-meter: Peak 16:00-21:00 $0.30/kWh, else $0.05.
- EVENT_INCREMENTAL: $2/kWh, 3-of-3 weekdays, adjustment over the 2 hours before, 1.00-1.40.
- SEASONAL_CAPACITY: $20/kW, season July only.
- AVAILABILITY: $10.00 for a month with 25 windows 18:00-22:00 fully covered by charger data.
- ONE_OFF: $50.00 on enrollment, once.

Both owners' chargers send every hour of July 2025 on both sub-meter channels: 1000 Wh
import, 0 export, except:
- Olivia (enrolled 1 July): at 17:00 on Thu 10, Fri 11 and Mon 14 July the import is
  1800, 1500 and 1200 Wh; on Tue 15 July 15:00 and 16:00 import 1500 each; in the event
  (17:00-19:00) import 0 and export 8000 and 9000 Wh. 19:00 on 1-3 July is MISSING.
- Noah (enrolled 1 January): nothing else.

The event: Tue 15 July 17:00-19:00 PDT, emergency, $2/kWh. Olivia accepts, Noah declines.

By hand, Olivia, July:
- Peak exports: 8 + 9 = 17.000 kWh x $0.30 = $5.10; Off-peak 0 kWh: $0.00.
- Event: baseline 17:00 = (1800 + 1500 + 1200) / 3 = 1500 Wh, 18:00 = 1000; the 15:00-16:00
  ratio 3000 / 2000 = 1.5, bounded to 1.40: adjusted 2100 and 1400 Wh. Incremental
  2100 + 8000 + 1400 + 9000 = 20500 Wh = 20.5 kWh x $2.00 = $41.00.
- Capacity: 17 kWh over 2 event hours = 8.5 kW x $20 = $170.00.
- Availability: 31 windows less 1-3 July (19:00 missing) = 28 >= 25: $10.00.
- One-off: enrolled 1 July: $50.00.
- Total $276.10.
Noah: exports 0 ($0.00 lines), nothing for the declined offer, capacity 0 kW over 2 hours =
$0.00, availability 31 windows: $10.00, no one-off (enrolled in January). Total $10.00.

Then Olivia's 18:00 export is corrected to 6000 Wh (revision 2). Recalculation:
- Peak 14 kWh = $4.20: -$0.90; event 2100 + 8000 + 1400 + 6000 = 17.5 kWh = $35.00: -$6.00;
  capacity 14 kWh / 2 h = 7 kW = $140.00: -$30.00. Total -$36.90, nothing for Noah.
"""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest

from accounts import operations as account_operations
from accounts import roles
from settlement.events import operations as event_operations
from settlement.events.models import Delivery
from settlement.ledger import queries as ledger_queries
from settlement.programs import operations as program_operations
from settlement.programs.models import RuleSet
from settlement.statements import periods
from settlement.statements.models import ProgramSettlementSettings, Statement
from settlement.statements.review import decisions, drilldown, exports
from settlement.statements.review import queries as statement_queries
from settlement.statements.runs import operations, reproduction
from tests.clients import signed_in
from tests.event_fixtures import Owner, add_hours, dispatch, local_hour
from tests.factories import ProgramFactory, UserFactory
from tests.settlement_fixtures import LA, ingest_rows, offer_program, tou_plan

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)
EVENT_DAY = dt.date(2025, 7, 15)
NOW = dt.datetime(2025, 8, 5, tzinfo=dt.UTC)
MONEY = Decimal("0.01")


def _rules(plan: str) -> dict:
    return {
        "effective_from": "2025-01-01",
        "rules": [
            {
                "name": "export",
                "kind": "EXPORT_TARIFF",
                "parameters": {"plan": plan, "channel_kind": "EVSE_EXPORT"},
            },
            {
                "name": "event-incremental",
                "kind": "EVENT_INCREMENTAL",
                "parameters": {
                    "channel_kind": "EVSE_EXPORT",
                    "price_per_kwh": "2.00",
                    "baseline": {
                        "method": "X_OF_Y",
                        "weekday": {"days": 3, "of_days": 3},
                        "weekend_holiday": {"days": 1, "of_days": 1},
                        "lookback_days": 10,
                    },
                    "adjustment": {
                        "hours_before": 2,
                        "skip_hours": 0,
                        "min_factor": "1.00",
                        "max_factor": "1.40",
                    },
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
            {
                "name": "welcome",
                "kind": "ONE_OFF",
                "parameters": {"amount": "50.00", "trigger": "ENROLLMENT"},
            },
        ],
    }


def _program():
    program = ProgramFactory(code="elrp-all", name="ELRP all rules", timezone=LA)
    plan = tou_plan("elrp-all-tou")
    program_operations.import_rules(program_code=program.code, document=_rules(plan.code))
    ProgramSettlementSettings.objects.create(program=program, two_approver_amount=Decimal(10_000))
    return program


def _july(owner: Owner, special_import=None, special_export=None, missing=()) -> None:
    special_import = special_import or {}
    special_export = special_export or {}
    hours = []
    day = JULY
    while day < dt.date(2025, 8, 1):
        hours.extend(local_hour(day, hour) for hour in range(24))
        day += dt.timedelta(days=1)
    for channel, special, default in (
        (owner.import_, special_import, 1000),
        (owner.export, special_export, 0),
    ):
        good = [(h, special.get(h, default)) for h in hours if h not in missing]
        add_hours(channel, good)
        add_hours(channel, [(h, 0) for h in missing], quality="MISSING")


@pytest.fixture
def scenario(staff_roles):
    program = _program()
    olivia = Owner(program, "olivia@example.com", starts_on=JULY)
    noah = Owner(program, "noah@example.com")
    _july(
        olivia,
        special_import={
            local_hour(dt.date(2025, 7, 10), 17): 1800,
            local_hour(dt.date(2025, 7, 11), 17): 1500,
            local_hour(dt.date(2025, 7, 14), 17): 1200,
            local_hour(EVENT_DAY, 15): 1500,
            local_hour(EVENT_DAY, 16): 1500,
            local_hour(EVENT_DAY, 17): 0,
            local_hour(EVENT_DAY, 18): 0,
        },
        special_export={local_hour(EVENT_DAY, 17): 8000, local_hour(EVENT_DAY, 18): 9000},
        missing={local_hour(JULY + dt.timedelta(days=n), 19) for n in range(3)},
    )
    _july(noah)
    event = dispatch(program, local_hour(EVENT_DAY, 17), local_hour(EVENT_DAY, 19))
    answered = event.starts_at - dt.timedelta(hours=2)
    event_operations.accept_offer(
        offer=event.offers.get(participant=olivia.participant),
        committed_kw=None,
        user=olivia.user,
        now=answered,
    )
    event_operations.decline_offer(
        offer=event.offers.get(participant=noah.participant), user=noah.user, now=answered
    )
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(account_operations.ensure_staff_roles()[roles.APPROVER])
    return program, olivia, noah, event, approver


def _settle(program, run_type: str):
    run = operations.start_run(
        program=program,
        period=periods.month("2025-07", time_zone=LA),
        run_type=run_type,
        started_by=None,
        now=NOW,
    )
    return operations.settle_inline(run=run, now=NOW)


def _lines(statement: Statement) -> list[tuple[str, str, Decimal, Decimal]]:
    return [
        (line.kind, line.adjusts_kind, line.kwh, line.amount)
        for line in statement.lines.order_by("number")
    ]


def test_every_rule_is_paid_then_a_revised_reading_books_exactly_the_difference(scenario, tmp_path):
    program, olivia, noah, event, approver = scenario

    run = _settle(program, "INITIAL")

    assert run.status == "COMPLETED"
    mine = Statement.objects.get(run=run, participant=olivia.participant)
    assert _lines(mine) == [
        ("EXPORT_ENERGY", "", Decimal("0.000"), Decimal("0.00")),
        ("EXPORT_ENERGY", "", Decimal("17.000"), Decimal("5.10")),
        ("MISSING_DATA", "", Decimal("0.000"), Decimal("0.00")),
        ("EVENT_INCREMENTAL", "", Decimal("20.500"), Decimal("41.00")),
        ("CAPACITY", "", Decimal("17.000"), Decimal("170.00")),
        ("AVAILABILITY", "", Decimal("0.000"), Decimal("10.00")),
        ("ONE_OFF", "", Decimal("0.000"), Decimal("50.00")),
    ]
    assert mine.total == Decimal("276.10")
    labels = {line.kind: line.label for line in mine.lines.all()}
    assert labels["EVENT_INCREMENTAL"] == (
        "Delivered 20.5 kWh more than your usual use during the 15 Jul grid event at $2.00/kWh"
    )
    assert labels["CAPACITY"] == (
        "Averaged 8.5 kW over 2 event hours of the 2025 season at $20.00/kW"
    )
    assert labels["AVAILABILITY"] == (
        "Plugged in for 28 of 31 windows 18:00-22:00 in July 2025: earns the $10.00 reward"
    )
    assert labels["ONE_OFF"] == "One-off incentive for enrolling on 1 Jul 2025"
    theirs = Statement.objects.get(run=run, participant=noah.participant)
    assert [(kind, amount) for kind, _, _, amount in _lines(theirs)] == [
        ("EXPORT_ENERGY", Decimal("0.00")),
        ("EXPORT_ENERGY", Decimal("0.00")),
        ("CAPACITY", Decimal("0.00")),
        ("AVAILABILITY", Decimal("10.00")),
    ]
    assert theirs.total == Decimal("10.00")

    # Lineage: the rule version, the event and its result, and the readings behind it.
    rule_set = RuleSet.objects.get(program=program)
    incremental_rule = rule_set.rules.get(kind="EVENT_INCREMENTAL")
    delivery = Delivery.objects.get(offer__participant=olivia.participant)
    line = mine.lines.get(kind="EVENT_INCREMENTAL")
    assert line.rule_version == f"rule {incremental_rule.pk} of rules v1"
    assert line.event_result == (
        f"event {event.pk}, offer {delivery.offer_id}, delivery {delivery.pk}"
    )
    # Matched by rule (name and the sha256 of its text), event and site, never by label.
    text = json.dumps(
        ["EVENT_INCREMENTAL", _rules("elrp-all-tou")["rules"][1]["parameters"]],
        sort_keys=True,
        separators=(",", ":"),
    )
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:12]
    assert line.match_key == (
        f"event_incremental:event-incremental:{fingerprint}:event{event.pk}"
        f":site{olivia.export.site_id}"
    )
    intervals = drilldown.line_intervals(line=line, time_zone=LA)
    # Ten days of lookback and the event day, both channels, every hour read for the result.
    assert len(intervals) == len(delivery.inputs["readings"])
    eight = [i for i in intervals if i.channel.endswith("EVSE_EXPORT") and i.wh == 8000]
    assert [(i.local_label, i.revision, i.current) for i in eight] == [
        ("2025-07-15 17:00 PDT", 1, True)
    ]
    # Staff drill down from the line to the readings and the event result.
    # The readings page shows 200 a page: open the one holding the 8,000 Wh hour.
    page_number = intervals.index(eight[0]) // 200 + 1
    page = signed_in(approver).get(
        f"/staff/settlement/statements/{mine.pk}/lines/{line.number}/?page={page_number}"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/staff/events/{event.pk}/offers/{delivery.offer_id}/"' in html
    assert "2025-07-15 17:00 PDT" in html
    # The run records the event results and the rule versions, and locked the rule set.
    # Noah's declined offer pays nothing, but his delivery is what his capacity is made of.
    declined = Delivery.objects.get(offer__participant=noah.participant)
    assert run.inputs["event_results"] == [
        {
            "event_id": event.pk,
            "offer_id": found.offer_id,
            "delivery_id": found.pk,
            "readings_sha256": found.readings_sha256,
            "rule_set_id": rule_set.pk,
            "amount": amount,
        }
        for found, amount in sorted(
            [(delivery, "41.00"), (declined, "0.00")], key=lambda pair: pair[0].pk
        )
    ]
    assert f"rule {incremental_rule.pk} of rules v1" in run.inputs["rule_versions"]
    assert [entry["id"] for entry in run.inputs["rule_sets"]] == [rule_set.pk]
    rule_set.refresh_from_db()
    assert rule_set.locked_at is not None

    # The review chart shows exports only, though the event line names the import channel.
    assert [(day, wh) for day, wh in drilldown.daily_exports(statement=mine) if wh] == [
        (EVENT_DAY, 17000)
    ]
    # The run comes out the same again from what it recorded.
    verdict = reproduction.reproduce_run(run=run)
    assert verdict.reproduced, verdict.as_dict()

    # Owners read the same lines in plain words; the export has one row per line.
    for statement in (mine, theirs):
        decisions.approve(statement=statement, actor=approver, reason="checked", now=NOW)
    owner_view = statement_queries.owner_statement(statement=Statement.objects.get(pk=mine.pk))
    assert owner_view["lines"][3]["description"] == labels["EVENT_INCREMENTAL"]
    rows = exports.rows(run=run)
    assert [(row["line_kind"], row["amount"]) for row in rows if row["statement_id"] == mine.pk][
        3:
    ] == [
        ("EVENT_INCREMENTAL", "41.00"),
        ("CAPACITY", "170.00"),
        ("AVAILABILITY", "10.00"),
        ("ONE_OFF", "50.00"),
    ]
    assert (
        ledger_queries.participant_net_payable_cents(participant=olivia.participant, currency="USD")
        == 27610
    )

    # The meter operator corrects Olivia's 18:00 export: 9000 -> 6000 Wh (revision 2).
    start = local_hour(EVENT_DAY, 18)
    meter = olivia.export.meter_id
    summary = ingest_rows(
        tmp_path,
        [f"{meter},{start.isoformat()},{(start + dt.timedelta(hours=1)).isoformat()},6000,0,"],
    )
    assert summary["revised"] == 1, summary

    recalculation = _settle(program, "RECALCULATION")

    adjustment = Statement.objects.get(run=recalculation)
    assert adjustment.participant_id == olivia.participant.pk
    assert _lines(adjustment) == [
        ("ADJUSTMENT", "EXPORT_ENERGY", Decimal("-3.000"), Decimal("-0.90")),
        ("ADJUSTMENT", "EVENT_INCREMENTAL", Decimal("-3.000"), Decimal("-6.00")),
        ("ADJUSTMENT", "CAPACITY", Decimal("-3.000"), Decimal("-30.00")),
        ("MISSING_DATA", "", Decimal("0.000"), Decimal("0.00")),
    ]
    assert adjustment.total == Decimal("-36.90")
    assert "negative_total" in adjustment.flags
    # The new delivery supersedes the one the initial run paid; both are kept.
    new = Delivery.objects.get(offer__participant=olivia.participant, superseded_at__isnull=True)
    assert (new.amount, new.incremental_wh) == (Decimal("35.00"), Decimal(17500))
    assert [r["delivery_id"] for r in recalculation.inputs["event_results"]] == sorted(
        [declined.pk, new.pk]
    )
    line = adjustment.lines.get(adjusts_kind="EVENT_INCREMENTAL")
    assert line.event_result.endswith(f"delivery {new.pk}")
    decisions.approve(statement=adjustment, actor=approver, reason="corrected", now=NOW)
    # The recalculation comes out the same again from what it recorded, and so does the
    # initial run, though the charger reading its availability judged has been revised since.
    verdict = reproduction.reproduce_run(run=recalculation)
    assert verdict.reproduced, verdict.as_dict()
    verdict = reproduction.reproduce_run(run=run)
    assert verdict.reproduced, verdict.as_dict()
    assert (
        ledger_queries.participant_net_payable_cents(participant=olivia.participant, currency="USD")
        == 27610 - 3690
    )


def test_accepted_offers_are_paid_up_to_the_commitment_less_any_shortfall(staff_roles):
    """Event Tue 15 July 17:00-19:00 PDT at $1.00/kWh; each owner commits 5 kW (10 kWh).

    - Olivia exports 8 + 9 = 17 kWh: paid for 10 kWh x $1.00 = $10.00.
    - Noah exports 2 + 1 = 3 kWh: 3 x $1.00 = $3.00, less (0.5 x 10 - 3) = 2 kWh x $0.50 =
      $1.00 short: $2.00.
    - Mia declines and exports 4 kWh: no offer line.
    """
    # Exports by the TOU tariff on the sub-meter; a shortfall charge of $0.50 for each kWh
    # below half the commitment.
    program = offer_program({"shortfall": {"price_per_kwh": "0.50", "below_share": "0.5"}})
    owners = {name: Owner(program, f"{name}@example.com") for name in ("olivia", "noah", "mia")}
    exports_wh = {"olivia": (8000, 9000), "noah": (2000, 1000), "mia": (4000, 0)}
    for name, (first, second) in exports_wh.items():
        add_hours(
            owners[name].export,
            [(local_hour(EVENT_DAY, 17), first), (local_hour(EVENT_DAY, 18), second)],
        )
    event = dispatch(program, local_hour(EVENT_DAY, 17), local_hour(EVENT_DAY, 19), price="1.00")
    answered = event.starts_at - dt.timedelta(hours=2)
    for name in ("olivia", "noah"):
        event_operations.accept_offer(
            offer=event.offers.get(participant=owners[name].participant),
            committed_kw=Decimal(5),
            user=owners[name].user,
            now=answered,
        )
    event_operations.decline_offer(
        offer=event.offers.get(participant=owners["mia"].participant),
        user=owners["mia"].user,
        now=answered,
    )

    run = _settle(program, "INITIAL")

    offer_lines = {
        name: [
            (line.label, line.kwh, line.price, line.amount, line.rule_version)
            for line in Statement.objects.get(run=run, participant=owner.participant).lines.filter(
                kind="ACCEPTED_OFFER"
            )
        ]
        for name, owner in owners.items()
    }
    rule = RuleSet.objects.get(program=program).rules.get(kind="ACCEPTED_OFFER")
    version = f"rule {rule.pk} of rules v1"
    assert offer_lines == {
        "olivia": [
            (
                (
                    "Delivered 17.0 kWh during the 15 Jul grid event at $1.00/kWh, "
                    "paid up to your 10.0 kWh commitment"
                ),
                Decimal("10.000"),
                Decimal("1.00000"),
                Decimal("10.00"),
                version,
            )
        ],
        "noah": [
            (
                (
                    "Delivered 3.0 kWh during the 15 Jul grid event at $1.00/kWh, "
                    "less $1.00 for 2.0 kWh short"
                ),
                Decimal("3.000"),
                Decimal("1.00000"),
                Decimal("2.00"),
                version,
            )
        ],
        "mia": [],
    }


def test_a_program_that_pays_no_exports_does_not_call_its_statements_not_settleable(
    staff_roles,
):
    """Rules with only a $50 enrollment incentive: Olivia (enrolled 1 July) gets $50.00 and
    a clean statement, not a "no export tariff" line (the program pays no exports)."""
    program = ProgramFactory(code="welcome-only", name="Welcome", timezone=LA)
    program_operations.import_rules(
        program_code=program.code,
        document={
            "effective_from": "2025-01-01",
            "rules": [
                {
                    "name": "welcome",
                    "kind": "ONE_OFF",
                    "parameters": {"amount": "50.00", "trigger": "ENROLLMENT"},
                }
            ],
        },
    )
    olivia = Owner(program, "olivia@example.com", starts_on=JULY)

    run = _settle(program, "INITIAL")

    statement = Statement.objects.get(run=run, participant=olivia.participant)
    assert _lines(statement) == [("ONE_OFF", "", Decimal("0.000"), Decimal("50.00"))]
    assert (statement.total, statement.flags, statement.state) == (Decimal("50.00"), [], "DRAFT")


def test_a_corrected_rule_version_books_only_the_corrected_rules_difference(scenario):
    """July is settled and approved; then rules v2 (from 2025-01-01, so in force in July)
    raise the event price to $2.50/kWh and keep every other rule as it was. The
    recalculation re-measures the event under v2: 20.5 kWh x $2.50 = $51.25. Only the
    event line changes: the v1 line (-$41.00) is reversed and the v2 line (+$51.25) booked,
    +$10.25 in all; exports, capacity, availability and the one-off have the same text and
    book nothing. Noah's declined offer is still owed nothing."""
    program, olivia, _, _, approver = scenario
    run = _settle(program, "INITIAL")
    for statement in Statement.objects.filter(run=run):
        decisions.approve(statement=statement, actor=approver, reason="checked", now=NOW)
    corrected = _rules("elrp-all-tou")
    corrected["rules"][1]["parameters"]["price_per_kwh"] = "2.50"
    summary = program_operations.import_rules(program_code=program.code, document=corrected)
    assert (summary.as_dict()["version"], summary.as_dict()["outcome"]) == (2, "created")

    recalculation = _settle(program, "RECALCULATION")

    adjustment = Statement.objects.get(run=recalculation)
    assert adjustment.participant_id == olivia.participant.pk
    v1, v2 = RuleSet.objects.filter(program=program).order_by("version")
    old_rule = v1.rules.get(kind="EVENT_INCREMENTAL")
    new_rule = v2.rules.get(kind="EVENT_INCREMENTAL")
    assert [
        (line.kind, line.adjusts_kind, line.kwh, line.amount, line.rule_version)
        for line in adjustment.lines.order_by("number")
        if line.kind == "ADJUSTMENT"
    ] == [
        (
            "ADJUSTMENT",
            "EVENT_INCREMENTAL",
            Decimal("20.500"),
            Decimal("51.25"),
            f"rule {new_rule.pk} of rules v2",
        ),
        (
            "ADJUSTMENT",
            "EVENT_INCREMENTAL",
            Decimal("-20.500"),
            Decimal("-41.00"),
            f"rule {old_rule.pk} of rules v1",
        ),
    ]
    assert adjustment.total == Decimal("10.25")
    assert {entry["id"] for entry in recalculation.inputs["rule_sets"]} == {v2.pk}
    v2.refresh_from_db()
    assert v2.locked_at is not None
