"""Which export rules a program pays by over a period, and the tariff versions behind them.

Until program rule sets exist, a program's EXPORT_TARIFF rule is its `ProgramTariff` (the
plan) settled on the revenue meter (`SITE_EXPORT`), estimated data paid or held per its
`ProgramMeteringSettings.pay_estimated`.
"""

from dataclasses import dataclass
from datetime import date

from accounts.models import Program
from settlement.metering.models import ProgramMeteringSettings
from settlement.tariffs import queries as tariff_queries
from settlement.tariffs.models import TariffPlan, TariffVersion


@dataclass(frozen=True)
class ExportRulePart:
    """Exports on `channel_kind` paid by tariff `version` over local dates [start, end)."""

    plan: TariffPlan
    version: TariffVersion
    channel_kind: str
    pay_estimated: bool
    # The rule's identity and version as lineage records it ("" without rule sets).
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
    settings = ProgramMeteringSettings.objects.filter(program=program).first()
    pay_estimated = bool(settings and settings.pay_estimated)
    parts: list[ExportRulePart] = []
    for attached in tariff_queries.program_tariffs_of(program=program).select_related("plan"):
        attached_start = max(start, attached.effective_from)
        attached_end = min(end, attached.effective_to or end)
        if attached_start >= attached_end:
            continue
        versions = tariff_queries.versions_overlapping(
            plan=attached.plan, start=attached_start, end=attached_end
        )
        for version in versions:
            part_start = max(attached_start, version.effective_from)
            part_end = min(attached_end, version.effective_to or attached_end)
            if part_start < part_end:
                parts.append(
                    ExportRulePart(
                        plan=attached.plan,
                        version=version,
                        channel_kind="SITE_EXPORT",
                        pay_estimated=pay_estimated,
                        rule_version="",
                        start=part_start,
                        end=part_end,
                    )
                )
    parts.sort(key=lambda part: part.start)
    return parts, _gaps(parts, start, end, program)


def _gaps(parts: list[ExportRulePart], start: date, end: date, program: Program) -> list[Gap]:
    gaps = []
    cursor = start
    for part in parts:
        if part.start > cursor:
            gaps.append(Gap(cursor, part.start, _no_price(program, cursor)))
        cursor = max(cursor, part.end)
    if cursor < end:
        gaps.append(Gap(cursor, end, _no_price(program, cursor)))
    return gaps


def _no_price(program: Program, day: date) -> str:
    return f"program {program.code} has no export tariff version in force on {day.isoformat()}"
