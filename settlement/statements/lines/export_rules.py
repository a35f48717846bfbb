"""Which export rules a program pays by over a period, and the tariff versions behind them.

The program's EXPORT_TARIFF rules (`settlement.programs`, versioned rule sets) name the
plan, the channel kind and whether estimated readings are paid; each tariff version in
force within each rule set's stretch of dates is one part.
"""

from dataclasses import dataclass
from datetime import date

from accounts.models import Program
from settlement.programs import queries as program_queries
from settlement.programs import rules as program_rules
from settlement.tariffs import queries as tariff_queries
from settlement.tariffs.models import TariffPlan, TariffVersion


@dataclass(frozen=True)
class ExportRulePart:
    """Exports on `channel_kind` paid by tariff `version` over local dates [start, end)."""

    plan: TariffPlan
    version: TariffVersion
    channel_kind: str
    pay_estimated: bool
    # The rule set version that says so, and how lineage names it ("rule 3 of rules v2").
    rule_set_id: int
    rule_version: str
    start: date
    end: date


@dataclass(frozen=True)
class Gap:
    """Local dates [start, end) with no rule or no tariff version in force, and why."""

    start: date
    end: date
    reason: str


def export_rule_parts(
    *, program: Program, start: date, end: date
) -> tuple[list[ExportRulePart], list[Gap]]:
    """Return the export rule parts covering [start, end), and the dates none covers."""
    parts: list[ExportRulePart] = []
    # Dates whose rules pay no exports at all: nothing is missing there.
    unpaid: list[tuple[date, date]] = []
    for stretch in program_queries.rules_in_force(program=program, start=start, end=end):
        rule = stretch.one(program_rules.RuleKind.EXPORT_TARIFF)
        stretch_end = stretch.end or end
        if rule is None or not isinstance(rule.parameters, program_rules.ExportTariffRule):
            unpaid.append((stretch.start, stretch_end))
            continue
        plan = tariff_queries.plan_by_code(code=rule.parameters.plan)
        for version in tariff_queries.versions_overlapping(
            plan=plan, start=stretch.start, end=stretch_end
        ):
            part_start = max(stretch.start, version.effective_from)
            part_end = min(stretch_end, version.effective_to or stretch_end)
            if part_start < part_end:
                parts.append(
                    ExportRulePart(
                        plan=plan,
                        version=version,
                        channel_kind=rule.parameters.channel_kind,
                        pay_estimated=rule.parameters.pay_estimated,
                        rule_set_id=rule.rule_set_id,
                        rule_version=f"rule {rule.rule_id} of rules v{rule.version}",
                        start=part_start,
                        end=part_end,
                    )
                )
    parts.sort(key=lambda part: part.start)
    return parts, _gaps(parts, unpaid, start, end, program)


def _gaps(
    parts: list[ExportRulePart],
    unpaid: list[tuple[date, date]],
    start: date,
    end: date,
    program: Program,
) -> list[Gap]:
    gaps = []
    cursor = start
    for part_start, part_end in sorted([(p.start, p.end) for p in parts] + unpaid):
        if part_start > cursor:
            gaps.append(Gap(cursor, part_start, _no_price(program, cursor)))
        cursor = max(cursor, part_end)
    if cursor < end:
        gaps.append(Gap(cursor, end, _no_price(program, cursor)))
    return gaps


def _no_price(program: Program, day: date) -> str:
    return f"program {program.code} has no export tariff version in force on {day.isoformat()}"
