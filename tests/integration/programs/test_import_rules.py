"""`import_rules --program CODE FILE.json`: validated, idempotent, versioned rule sets."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from settlement.programs import operations, queries, rules
from settlement.programs.models import Rule, RuleSet
from settlement.rating import baselines
from tests.factories import ProgramFactory
from tests.rule_files import DEMO_RULES, import_rules, rule_file, write

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 12, 1, 12, tzinfo=dt.UTC)


def test_a_rule_file_becomes_version_1_with_one_row_per_rule(tmp_path):
    ProgramFactory(code="elrp")

    code, summary = import_rules(write(tmp_path, rule_file()), "elrp")

    assert code == 0
    rule_set = RuleSet.objects.get()
    assert summary == {
        "program": "elrp",
        "rule_set_id": rule_set.pk,
        "version": 1,
        "outcome": "created",
        "effective_from": "2025-05-01",
        "effective_to": None,
        "rules": [
            {"rule_id": rule.pk, "name": rule.name, "kind": rule.kind}
            for rule in Rule.objects.order_by("kind", "name")
        ],
    }
    assert sorted(Rule.objects.values_list("kind", flat=True)) == [
        "EVENT_CONSTRAINTS",
        "EVENT_INCREMENTAL",
    ]


def test_the_same_file_twice_is_unchanged(tmp_path):
    ProgramFactory(code="elrp")
    path = write(tmp_path, rule_file())
    import_rules(path, "elrp")

    code, summary = import_rules(path, "elrp")

    assert (code, summary["outcome"], summary["version"]) == (0, "unchanged", 1)
    assert RuleSet.objects.count() == 1
    assert Rule.objects.count() == 2


def test_a_changed_file_updates_an_unused_version_in_place(tmp_path):
    ProgramFactory(code="elrp")
    import_rules(write(tmp_path, rule_file()), "elrp")
    changed = rule_file()
    changed["rules"][0]["parameters"]["price_per_kwh"] = "1.50"

    code, summary = import_rules(write(tmp_path, changed, "changed.json"), "elrp")

    assert (code, summary["outcome"], summary["version"]) == (0, "updated", 1)
    stored = Rule.objects.get(kind="EVENT_INCREMENTAL")
    assert stored.parameters["price_per_kwh"] == "1.50"


def test_a_locked_version_is_superseded_by_a_new_version_not_edited(tmp_path):
    program = ProgramFactory(code="elrp")
    import_rules(write(tmp_path, rule_file()), "elrp")
    first = RuleSet.objects.get()
    operations.lock_rule_set(rule_set=first, through=dt.date(2025, 6, 1), now=NOW)
    changed = rule_file()
    changed["rules"][0]["parameters"]["price_per_kwh"] = "1.50"

    code, summary = import_rules(write(tmp_path, changed, "changed.json"), "elrp")

    assert (code, summary["outcome"], summary["version"]) == (0, "created", 2)
    first.refresh_from_db()
    assert first.rules.get(kind="EVENT_INCREMENTAL").parameters["price_per_kwh"] == "2.00"
    in_force = queries.rule_set_on(program=program, on=dt.date(2025, 5, 15))
    assert in_force is not None
    rule = in_force.one(rules.RuleKind.EVENT_INCREMENTAL)
    assert rule is not None
    assert (in_force.version, rule.parameters.price_per_kwh) == (2, Decimal("1.50"))


def test_a_locked_rule_cannot_be_revised():
    program = ProgramFactory(code="elrp")
    result = operations.import_rules(program_code=program.code, document=rule_file())
    operations.lock_version(rule_set_id=result.rule_set.pk, through=dt.date(2025, 6, 1), now=NOW)
    rule = Rule.objects.get(kind="EVENT_CONSTRAINTS")

    with pytest.raises(operations.RuleSetLocked):
        operations.revise_rule(rule=rule, parameters={"yearly_hour_cap": 10})

    rule.refresh_from_db()
    assert rule.parameters == {"season_months": [5, 6, 7, 8, 9, 10], "yearly_hour_cap": 60}


def test_an_unlocked_rule_is_revised_in_place_and_keeps_its_id():
    program = ProgramFactory(code="elrp")
    operations.import_rules(program_code=program.code, document=rule_file())
    rule = Rule.objects.get(kind="EVENT_CONSTRAINTS")

    revised = operations.revise_rule(rule=rule, parameters={"yearly_hour_cap": 10})

    assert revised.pk == rule.pk
    assert revised.parameters == {"yearly_hour_cap": 10}


def test_every_bad_field_is_named_and_nothing_is_stored(tmp_path):
    ProgramFactory(code="elrp")
    bad = rule_file(effective_to="2025-04-01", colour="red")
    bad["rules"][0]["parameters"].update(
        {"price_per_kwh": 2.0, "negative_hours": "SOMETIMES", "per_event_cap": "-1"}
    )
    bad["rules"][0]["parameters"]["baseline"]["weekday"] = {"days": 5, "of_days": 10}
    bad["rules"][1]["parameters"]["season_months"] = [5, 13]
    bad["rules"].append({"kind": "ONE_OFF", "parameters": {"trigger": "MILESTONE", "amount": "5"}})

    code, summary = import_rules(write(tmp_path, bad), "elrp")

    assert code == 2
    assert summary["error"]["code"] == "rule_file_invalid"
    fields = {error["field"]: error["reason"] for error in summary["error"]["details"]["errors"]}
    assert fields == {
        "colour": "unknown field",
        "effective_to": "must be after effective_from (2025-05-01)",
        "rules[0].parameters.price_per_kwh": 'must be a decimal string such as "2.00", not 2.0',
        "rules[0].parameters.negative_hours": "'SOMETIMES' is not one of ZERO, OFFSET",
        "rules[0].parameters.per_event_cap": "must be at least 0, not -1",
        "rules[0].parameters.baseline.weekday.days": (
            "X_OF_Y averages all 10 days: days must equal of_days"
        ),
        "rules[1].parameters.season_months": (
            "must be a non-empty list of months 1-12, not [5, 13]"
        ),
        "rules[2].parameters.milestone": "required",
    }
    assert RuleSet.objects.count() == 0


def test_an_export_tariff_rule_must_name_an_existing_plan(tmp_path):
    ProgramFactory(code="nbt")
    document = rule_file(
        rules=[
            {"kind": "EXPORT_TARIFF", "parameters": {"plan": "nope", "channel_kind": "SITE_EXPORT"}}
        ]
    )

    code, summary = import_rules(write(tmp_path, document), "nbt")

    assert code == 2
    assert summary["error"]["details"]["errors"] == [
        {
            "field": "rules[0].parameters.plan",
            "reason": "no tariff plan 'nope' (import it with import_tariff)",
        }
    ]


def test_an_unknown_program_is_named(tmp_path):
    code, summary = import_rules(write(tmp_path, rule_file()), "nope")

    assert code == 2
    assert summary["error"]["details"]["errors"] == [
        {"field": "program", "reason": "no program 'nope'"}
    ]


def test_accepted_offer_and_event_incremental_may_not_both_pay(tmp_path):
    ProgramFactory(code="elrp")
    document = rule_file()
    document["rules"].append(
        {"kind": "ACCEPTED_OFFER", "parameters": {"channel_kind": "EVSE_EXPORT"}}
    )

    code, summary = import_rules(write(tmp_path, document), "elrp")

    assert code == 2
    assert summary["error"]["details"]["errors"] == [
        {
            "field": "rules",
            "reason": "ACCEPTED_OFFER and EVENT_INCREMENTAL both pay events; keep one",
        }
    ]


def test_the_demo_rule_file_parses_into_typed_rules():
    program = ProgramFactory(code="elrp-v2g")
    operations.import_rules(program_code=program.code, document=json.loads(DEMO_RULES.read_text()))

    in_force = queries.rule_set_on(program=program, on=dt.date(2025, 7, 1))

    assert in_force is not None
    incremental = in_force.one(rules.RuleKind.EVENT_INCREMENTAL)
    assert incremental is not None
    assert incremental.parameters == rules.EventIncrementalRule(
        channel_kind="EVSE_EXPORT",
        price_per_kwh=Decimal("2.00"),
        baseline=baselines.BaselineMethod(
            method=baselines.Method.X_OF_Y,
            weekday=baselines.PoolRule(10, 10, 10),
            weekend_holiday=baselines.PoolRule(4, 4, 4),
            max_incomplete_share=Decimal("0.10"),
            lookback_days=45,
        ),
        adjustment=baselines.AdjustmentBounds(3, 1, Decimal("1.00"), Decimal("1.40")),
        negative_hours=rules.NegativeHours.ZERO,
        per_event_cap=Decimal("500.00"),
        minimum_payment=Decimal("0.00"),
        holidays="PGE",
    )
    constraints = in_force.one(rules.RuleKind.EVENT_CONSTRAINTS)
    assert constraints is not None
    assert constraints.parameters == rules.EventConstraints(
        season_months=(5, 6, 7, 8, 9, 10),
        earliest_start=dt.time(16),
        latest_end=dt.time(21),
        min_duration_minutes=60,
        max_duration_minutes=300,
        yearly_hour_cap=60,
    )


def test_rules_in_force_split_where_a_higher_version_covers_part_of_the_range():
    program = ProgramFactory(code="elrp")
    first = operations.import_rules(program_code="elrp", document=rule_file()).rule_set
    operations.lock_rule_set(rule_set=first, through=dt.date(2025, 6, 1), now=NOW)
    summer = rule_file(effective_from="2025-07-01", effective_to="2025-08-01")
    second = operations.import_rules(program_code="elrp", document=summer).rule_set

    pieces = queries.rules_in_force(
        program=program, start=dt.date(2025, 4, 1), end=dt.date(2025, 9, 1)
    )

    # April is before any version; v1 from May, v2 over July, v1 again from August.
    assert [(p.rule_set_id, p.version, p.start, p.end, p.locked) for p in pieces] == [
        (first.pk, 1, dt.date(2025, 5, 1), dt.date(2025, 7, 1), True),
        (second.pk, 2, dt.date(2025, 7, 1), dt.date(2025, 8, 1), False),
        (first.pk, 1, dt.date(2025, 8, 1), dt.date(2025, 9, 1), True),
    ]
    assert [rule.kind for rule in pieces[1].rules] == [
        rules.RuleKind.EVENT_CONSTRAINTS,
        rules.RuleKind.EVENT_INCREMENTAL,
    ]
