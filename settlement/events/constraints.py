"""The checks an event's window, kind and signal must pass under the program's rules."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.models import Program
from settlement.errors import DomainError
from settlement.events import queries
from settlement.programs import queries as program_queries
from settlement.programs import rules


class EventInvalid(DomainError):
    """The event breaks a rule of the program (or of events in general); fields are named."""

    code = "event_invalid"

    def __init__(self, problems: list[rules.Problem]) -> None:
        message = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        super().__init__(message, details={"errors": [p.as_dict() for p in problems]})
        self.problems = problems


class EventConflict(EventInvalid):
    """A well-formed event the program's rules in force (or the time now) refuse: 409.

    EventInvalid (400) is for terms that are wrong whatever the program says: an end not
    after the start, a time not on the hour, a negative price, a deadline after the start.
    """

    http_status = 409


@dataclass(frozen=True)
class Window:
    """The event's proposed window and terms."""

    starts_at: datetime
    ends_at: datetime
    response_deadline: datetime
    kind: str
    price_per_kwh: Decimal
    target_kw: Decimal | None


def _local(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def check(
    *,
    program: Program,
    window: Window,
    now: datetime,
    ignore_event_id: int | None = None,
) -> program_queries.RulesInForce:
    """Return the rule set in force at the event's start; raises EventInvalid naming fields."""
    zone = ZoneInfo(program.timezone)
    problems: list[rules.Problem] = []

    def bad(name: str, reason: str) -> None:
        problems.append(rules.Problem(name, reason))

    start, end = window.starts_at, window.ends_at
    if end <= start:
        bad("end", f"must be after the start ({_local(start, zone)})")
    # Baselines are hourly: an event covers whole hours.
    for name, instant in (("start", start), ("end", end)):
        if instant.minute or instant.second or instant.microsecond:
            bad(name, f"must be on the hour, not {_local(instant, zone)}")
    # What follows is checked against the time now and the program's rules in force.
    malformed = bool(problems)
    if start <= now:
        bad("start", f"must be in the future (now is {_local(now, zone)})")
    if window.response_deadline > start:
        bad("deadline", f"must be at or before the start ({_local(start, zone)})")
        malformed = True
    elif window.response_deadline <= now:
        bad("deadline", "must be in the future")
    if window.price_per_kwh < 0:
        bad("price", f"must not be negative, not {window.price_per_kwh}")
        malformed = True
    if window.target_kw is not None and window.target_kw <= 0:
        bad("target_kw", f"must be greater than 0, not {window.target_kw}")
        malformed = True
    if window.kind not in rules.EVENT_KINDS:
        bad("kind", f"{window.kind!r} is not one of {', '.join(rules.EVENT_KINDS)}")
        malformed = True
    local_start = start.astimezone(zone)
    in_force = program_queries.rule_set_on(program=program, on=local_start.date())
    pays = in_force is not None and any(
        in_force.one(kind)
        for kind in (
            rules.RuleKind.ACCEPTED_OFFER,
            rules.RuleKind.EVENT_INCREMENTAL,
            rules.RuleKind.SEASONAL_CAPACITY,
        )
    )
    if not pays:
        bad("program", f"{program.code} has no rule paying events on {local_start.date()}")
    constraint = in_force.one(rules.RuleKind.EVENT_CONSTRAINTS) if in_force else None
    if (
        constraint is not None
        and isinstance(constraint.parameters, rules.EventConstraints)
        and end > start
        and not problems
    ):
        _check_constraints(
            program=program,
            parameters=constraint.parameters,
            window=window,
            zone=zone,
            bad=bad,
            ignore_event_id=ignore_event_id,
        )
    if problems:
        raise EventInvalid(problems) if malformed else EventConflict(problems)
    assert in_force is not None  # noqa: S101 - `pays` is False without a rule set
    return in_force


def _check_constraints(
    *,
    program: Program,
    parameters: rules.EventConstraints,
    window: Window,
    zone: ZoneInfo,
    bad: Callable[[str, str], None],
    ignore_event_id: int | None,
) -> None:
    local_start = window.starts_at.astimezone(zone)
    local_end = window.ends_at.astimezone(zone)
    minutes = int((window.ends_at - window.starts_at).total_seconds() // 60)
    if window.kind not in parameters.kinds:
        bad("kind", f"{program.code} allows {', '.join(parameters.kinds)} events")
    if local_start.month not in parameters.season_months:
        months = ", ".join(str(m) for m in parameters.season_months)
        bad("start", f"{local_start:%B} is outside the season (months {months})")
    if local_start.time() < parameters.earliest_start:
        bad("start", f"must be at or after {parameters.earliest_start:%H:%M} local time")
    if parameters.latest_end is not None and (
        local_end.date() != local_start.date() or local_end.time() > parameters.latest_end
    ):
        bad("end", f"must be at or before {parameters.latest_end:%H:%M} local time that day")
    if minutes < parameters.min_duration_minutes:
        bad(
            "end", f"the event lasts {minutes} minutes, less than {parameters.min_duration_minutes}"
        )
    if minutes > parameters.max_duration_minutes:
        bad(
            "end", f"the event lasts {minutes} minutes, more than {parameters.max_duration_minutes}"
        )
    if parameters.yearly_hour_cap is not None:
        year_start = local_start.replace(month=1, day=1, hour=0)
        year_end = year_start.replace(year=year_start.year + 1)
        used = (
            sum(
                (
                    e.ends_at - e.starts_at
                    for e in queries.events_in_year(
                        program_id=program.pk, year_start=year_start, year_end=year_end
                    ).exclude(pk=ignore_event_id or 0)
                ),
                timedelta(),
            ).total_seconds()
            / 3600
        )
        if used + minutes / 60 > parameters.yearly_hour_cap:
            bad(
                "end",
                f"{program.code} has used {used:g} of its {parameters.yearly_hour_cap} event hours "
                f"in {local_start.year}; this event needs {minutes / 60:g}",
            )
