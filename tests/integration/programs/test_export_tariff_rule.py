"""`import_tariff --program` makes the plan the program's EXPORT_TARIFF rule; the rate
preview settles on the channel that rule names."""

import datetime as dt

import pytest

from settlement.programs import operations, queries, rules
from settlement.programs.models import RuleSet
from settlement.rate_preview import preview
from tests.factories import ChannelFactory, ChargerFactory, ProgramFactory, SiteFactory
from tests.rule_files import rule_file
from tests.tariff_imports import LOS_ANGELES, SCE_FILE, URDB_FILE, import_tariff

pytestmark = pytest.mark.django_db


def test_import_tariff_with_a_program_creates_its_export_tariff_rule_on_site_export():
    program = ProgramFactory(code="nbt", timezone=LOS_ANGELES)

    code, summary = import_tariff(
        URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nbt"
    )

    assert (code, summary["outcome"]) == (0, "created")
    in_force = queries.rule_set_on(program=program, on=dt.date(2025, 1, 1))
    assert in_force is not None
    rule = in_force.one(rules.RuleKind.EXPORT_TARIFF)
    assert rule is not None
    assert rule.parameters == rules.ExportTariffRule(plan="etou", channel_kind="SITE_EXPORT")
    # The version starts 2025-01-01 (URDB startdate, local midnight PST).
    assert (in_force.version, in_force.start) == (1, dt.date(2025, 1, 1))


def test_a_later_plan_takes_over_from_its_start_and_the_earlier_one_pays_until_then():
    program = ProgramFactory(code="nbt-export", timezone=LOS_ANGELES)
    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nbt-export")

    code, _ = import_tariff(
        SCE_FILE, "--format", "sce-export-credits", "--code", "sce-nbt24",
        "--program", "nbt-export", "--effective-from", "2025-06-01",
    )  # fmt: skip

    assert code == 0

    def plan_on(day: dt.date) -> str:
        in_force = queries.rule_set_on(program=program, on=day)
        assert in_force is not None
        rule = in_force.one(rules.RuleKind.EXPORT_TARIFF)
        assert rule is not None
        return rule.parameters.plan

    assert (plan_on(dt.date(2025, 1, 1)), plan_on(dt.date(2025, 5, 31))) == ("etou", "etou")
    assert (plan_on(dt.date(2025, 6, 1)), plan_on(dt.date(2030, 1, 1))) == ("sce-nbt24",) * 2


def test_importing_the_same_tariff_again_leaves_the_rule_set_alone():
    ProgramFactory(code="nbt", timezone=LOS_ANGELES)
    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nbt")

    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nbt")

    assert RuleSet.objects.count() == 1


def test_the_export_tariff_rule_joins_the_rules_already_in_force():
    program = ProgramFactory(code="elrp", timezone=LOS_ANGELES)
    operations.import_rules(program_code="elrp", document=rule_file(effective_from="2025-01-01"))

    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "elrp")

    in_force = queries.rule_set_on(program=program, on=dt.date(2025, 7, 1))
    assert in_force is not None
    # The unlocked version starting the same day is updated in place with the new rule.
    assert in_force.version == 1
    assert sorted(rule.kind.value for rule in in_force.rules) == [
        "EVENT_CONSTRAINTS",
        "EVENT_INCREMENTAL",
        "EXPORT_TARIFF",
    ]


def test_the_rate_preview_settles_on_the_channel_the_rule_names():
    ProgramFactory(code="v2g", timezone=LOS_ANGELES)
    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "v2g")
    rule = RuleSet.objects.get().rules.get(kind="EXPORT_TARIFF")
    operations.revise_rule(rule=rule, parameters={"plan": "etou", "channel_kind": "EVSE_EXPORT"})
    site = SiteFactory()
    charger = ChargerFactory(site=site)
    ChannelFactory(site=site, meter_id="SM-1", kind="EVSE_EXPORT", charger=charger)

    result = preview.preview_rating(
        tariff_code="etou",
        meter_id="SM-1",
        channel_kind=None,
        start=dt.date(2025, 7, 15),
        end=dt.date(2025, 7, 16),
    )

    assert result.channel_kind == "EVSE_EXPORT"


def test_a_meter_without_the_rules_channel_is_refused_by_the_preview():
    ProgramFactory(code="nbt", timezone=LOS_ANGELES)
    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--program", "nbt")
    site = SiteFactory()
    charger = ChargerFactory(site=site)
    ChannelFactory(site=site, meter_id="SM-1", kind="EVSE_EXPORT", charger=charger)

    with pytest.raises(preview.ChannelNotFound) as raised:
        preview.preview_rating(
            tariff_code="etou",
            meter_id="SM-1",
            channel_kind=None,
            start=dt.date(2025, 7, 15),
            end=dt.date(2025, 7, 16),
        )

    assert raised.value.message == "meter 'SM-1' has no SITE_EXPORT channel"
