"""The lines of every program rule beside the export tariff, for one chunk of participants.

Event lines (`event_lines`: accepted offers, incremental energy, seasonal capacity) and
fixed rewards (`incentive_lines`: availability, one-off incentives), loaded once per chunk
and computed per participant after the export lines.
"""

from dataclasses import dataclass

from accounts.models import Program
from settlement.programs import queries as program_queries
from settlement.statements.lines import event_lines, incentive_lines
from settlement.statements.lines.inputs import SiteEnrollment
from settlement.statements.lines.rule_lines import RuleLines
from settlement.statements.periods import Period


@dataclass
class PaidRuleInputs:
    """What the chunk's rule lines are computed from."""

    period: Period
    events: event_lines.EventInputs
    incentives: incentive_lines.IncentiveInputs


def load(
    *,
    program: Program,
    period: Period,
    participant_ids: list[int],
    enrollments: dict[int, list[SiteEnrollment]],
    delivery_ids: list[int] | None = None,
    recorded_readings: list[tuple[int, int, int, int, str]] | None = None,
) -> PaidRuleInputs:
    """Return the rules in force, offers, deliveries and charger data the chunk needs.

    `delivery_ids` and `recorded_readings` (channel id, start epoch s, duration s, revision,
    quality): the event results and readings a run recorded, read instead of the current
    ones when the run is reproduced.
    """
    stretches = program_queries.rules_in_force(program=program, start=period.start, end=period.end)
    fingerprints = program_queries.rule_fingerprints(program=program)
    return PaidRuleInputs(
        period=period,
        events=event_lines.load(
            program=program,
            stretches=stretches,
            period=period,
            participant_ids=participant_ids,
            fingerprints=fingerprints,
            delivery_ids=delivery_ids,
        ),
        incentives=incentive_lines.load(
            program=program,
            stretches=stretches,
            period=period,
            participant_ids=participant_ids,
            enrollments=enrollments,
            fingerprints=fingerprints,
            recorded=recorded_readings,
        ),
    )


def lines_for(
    *,
    participant_id: int,
    enrollments: list[SiteEnrollment],
    inputs: PaidRuleInputs,
    currency: str,
) -> RuleLines:
    """Return the participant's rule lines: events first, then availability and one-offs.

    Labels write prices and amounts in `currency` (the program's).
    """
    found = event_lines.lines_for(
        participant_id=participant_id,
        enrollments=enrollments,
        inputs=inputs.events,
        currency=currency,
    )
    more = incentive_lines.lines_for(
        participant_id=participant_id,
        enrollments=enrollments,
        inputs=inputs.incentives,
        period=inputs.period,
        currency=currency,
    )
    found.lines.extend(more.lines)
    found.rule_sets |= more.rule_sets
    found.rule_versions |= more.rule_versions
    found.event_results.extend(more.event_results)
    found.readings.extend(more.readings)
    return found
