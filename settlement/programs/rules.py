"""Program rule kinds, their typed parameters, and the one validation that reads them.

A rule's parameters are stored as JSON (Decimals as strings). `parse_parameters` is the only
way from JSON to a typed parameter object: the admin, the staff page, the API and
`import_rules` all call it, so a rule is valid in one sense everywhere. It reports every bad
field at once (`RuleInvalid.problems`), each named by its dotted path.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal

from settlement.errors import DomainError
from settlement.rating import baselines, holiday_calendars, performance
from settlement.rating import money as money_rules


class RuleKind(StrEnum):
    """What a rule pays for (DOMAIN.md section 2), plus the constraints events must meet."""

    EXPORT_TARIFF = "EXPORT_TARIFF"
    ACCEPTED_OFFER = "ACCEPTED_OFFER"
    EVENT_INCREMENTAL = "EVENT_INCREMENTAL"
    SEASONAL_CAPACITY = "SEASONAL_CAPACITY"
    AVAILABILITY = "AVAILABILITY"
    ONE_OFF = "ONE_OFF"
    EVENT_CONSTRAINTS = "EVENT_CONSTRAINTS"


# Export channels a rule can settle on: the revenue meter or the charger's sub-meter.
EXPORT_CHANNEL_KINDS = ("SITE_EXPORT", "EVSE_EXPORT")
# The import channel measured by the same meter as each export channel (net load pairs).
IMPORT_CHANNEL_OF = {"SITE_EXPORT": "SITE_IMPORT", "EVSE_EXPORT": "EVSE_IMPORT"}


# How hours with negative incremental energy count: defined by the rating core that applies it.
NegativeHours = performance.NegativeHours


class OneOffTrigger(StrEnum):
    """When a one-off incentive is due."""

    ENROLLMENT = "ENROLLMENT"
    MILESTONE = "MILESTONE"


@dataclass(frozen=True)
class Problem:
    """One bad field: its dotted path in the rule and why."""

    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """Return the problem as JSON."""
        return {"field": self.field, "reason": self.reason}


class RuleInvalid(DomainError):
    """A rule's parameters break the rules of its kind; `problems` names every bad field."""

    code = "rule_invalid"

    def __init__(self, problems: list[Problem], *, prefix: str = "") -> None:
        named = [Problem(f"{prefix}{problem.field}", problem.reason) for problem in problems]
        message = "; ".join(f"{problem.field}: {problem.reason}" for problem in named)
        super().__init__(message, details={"errors": [problem.as_dict() for problem in named]})
        self.problems = named


@dataclass(frozen=True)
class ExportTariffRule:
    """Exports on `channel_kind` are paid by tariff plan `plan` (its versions in force)."""

    plan: str
    channel_kind: str
    pay_estimated: bool = False


@dataclass(frozen=True)
class Shortfall:
    """A charge of `price_per_kwh` for each kWh delivered below `below_share` x commitment."""

    price_per_kwh: Decimal
    below_share: Decimal


@dataclass(frozen=True)
class AcceptedOfferRule:
    """Delivered kWh in the offer window x offered price, capped at the committed kWh."""

    channel_kind: str
    shortfall: Shortfall | None = None
    pay_estimated: bool = False


@dataclass(frozen=True)
class EventIncrementalRule:
    """Incremental energy against a baseline x $/kWh, with floors, caps and a threshold.

    `price_per_kwh` None means the event's EXPORT_PRICE signal sets the price.
    """

    channel_kind: str
    price_per_kwh: Decimal | None
    baseline: baselines.BaselineMethod
    adjustment: baselines.AdjustmentBounds | None
    negative_hours: NegativeHours = NegativeHours.ZERO
    per_event_cap: Decimal | None = None
    per_season_cap: Decimal | None = None
    minimum_payment: Decimal = Decimal("0.00")
    pay_test_events: bool = False
    pay_estimated: bool = False
    # The holiday calendar that puts a weekday in the weekend/holiday baseline pool.
    holidays: str = "none"


@dataclass(frozen=True)
class SeasonalCapacityRule:
    """$/kW x average kW delivered over all event hours of the season (missed = 0 kW)."""

    channel_kind: str
    price_per_kw: Decimal
    season_months: tuple[int, ...]
    pay_test_events: bool = False


@dataclass(frozen=True)
class AvailabilityRule:
    """`amount` for a month with at least `windows_per_month` local windows plugged in."""

    amount: Decimal
    windows_per_month: int
    window_start: time
    window_end: time


@dataclass(frozen=True)
class OneOffRule:
    """`amount` once on enrollment or a named milestone, at most `max_payments` times."""

    amount: Decimal
    trigger: OneOffTrigger
    milestone: str = ""
    max_payments: int = 1


@dataclass(frozen=True)
class EventConstraints:
    """What dispatch events of the program may look like."""

    season_months: tuple[int, ...] = tuple(range(1, 13))
    earliest_start: time = time(0)
    # None: until midnight. Events must end by this local time on their start day.
    latest_end: time | None = None
    min_duration_minutes: int = 15
    max_duration_minutes: int = 24 * 60
    yearly_hour_cap: int | None = None
    kinds: tuple[str, ...] = ("EMERGENCY", "ECONOMIC", "TEST")
    # The program's default battery for chargers whose owner set none (offers' wear).
    battery_usable_kwh: Decimal | None = None
    battery_wear_cost_per_kwh: Decimal | None = None


RuleParameters = (
    ExportTariffRule
    | AcceptedOfferRule
    | EventIncrementalRule
    | SeasonalCapacityRule
    | AvailabilityRule
    | OneOffRule
    | EventConstraints
)

EVENT_KINDS = ("EMERGENCY", "ECONOMIC", "TEST")


@dataclass
class _Reader:
    """Reads fields of one JSON object, collecting a Problem for each bad one."""

    data: Mapping[str, Any]
    prefix: str = ""
    problems: list[Problem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def _bad(self, name: str, reason: str) -> None:
        self.problems.append(Problem(f"{self.prefix}{name}", reason))

    def _get(self, name: str, *, required: bool) -> Any:
        self.seen.add(name)
        if name not in self.data or self.data[name] is None:
            if required:
                self._bad(name, "required")
            return None
        return self.data[name]

    def decimal(
        self,
        name: str,
        *,
        required: bool = True,
        default: Decimal | None = None,
        minimum: Decimal = Decimal(0),
        maximum: Decimal | None = None,
        positive: bool = False,
        money: Literal["amount", "price"] | None = None,
    ) -> Decimal | None:
        """Return the field as a Decimal (or `default`), recording a problem when it is bad.

        `money` bounds it as a money parameter (`settlement.rating.money.bound_problem`):
        an "amount" carries cents below AMOUNT_CEILING, a "price" 5 places below
        PRICE_CEILING, so no rule can hold a number a run could not store or post.
        """
        value = self._get(name, required=required)
        if value is None:
            return default
        # Floats are refused: 0.1 in a JSON number is already not 0.1 once parsed.
        if not isinstance(value, str | int) or isinstance(value, bool):
            self._bad(name, f'must be a decimal string such as "2.00", not {value!r}')
            return default
        try:
            number = Decimal(value)
        except InvalidOperation:
            self._bad(name, f"{value!r} is not a decimal number")
            return default
        bound = (
            None
            if money is None or not number.is_finite()
            else money_rules.bound_problem(
                number,
                places=money_rules.AMOUNT_PLACES if money == "amount" else money_rules.PRICE_PLACES,
                ceiling=(
                    money_rules.AMOUNT_CEILING if money == "amount" else money_rules.PRICE_CEILING
                ),
            )
        )
        if not number.is_finite():
            self._bad(name, f"{value!r} is not a finite number")
        elif bound is not None:
            self._bad(name, bound)
        elif positive and number <= 0:
            self._bad(name, f"must be greater than 0, not {value}")
        elif number < minimum:
            self._bad(name, f"must be at least {minimum}, not {value}")
        elif maximum is not None and number > maximum:
            self._bad(name, f"must be at most {maximum}, not {value}")
        return number

    def integer(
        self,
        name: str,
        *,
        required: bool = True,
        default: int | None = None,
        minimum: int = 0,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name, required=required)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            self._bad(name, f"must be a whole number, not {value!r}")
            return default
        if value < minimum:
            self._bad(name, f"must be at least {minimum}, not {value}")
        elif maximum is not None and value > maximum:
            self._bad(name, f"must be at most {maximum}, not {value}")
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self._get(name, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self._bad(name, f"must be true or false, not {value!r}")
            return default
        return value

    def choice(
        self, name: str, choices: tuple[str, ...], *, required: bool = True, default: str = ""
    ) -> str:
        value = self._get(name, required=required)
        if value is None:
            return default
        if value not in choices:
            self._bad(name, f"{value!r} is not one of {', '.join(choices)}")
            return default
        return str(value)

    def text(self, name: str, *, required: bool = True, max_length: int = 100) -> str:
        value = self._get(name, required=required)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self._bad(name, "must be a non-empty text")
            return ""
        if len(value) > max_length:
            self._bad(name, f"must be at most {max_length} characters")
        return value

    def clock(
        self, name: str, *, required: bool = True, default: time | None = None
    ) -> time | None:
        value = self._get(name, required=required)
        if value is None:
            return default
        try:
            parsed = time.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.second or parsed.microsecond or parsed.tzinfo:
            self._bad(name, f"{value!r} is not a local time HH:MM")
            return default
        return parsed

    def months(self, name: str, *, required: bool = True) -> tuple[int, ...]:
        value = self._get(name, required=required)
        if value is None:
            return tuple(range(1, 13))
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(m, int) and not isinstance(m, bool) for m in value)
            or not all(1 <= m <= 12 for m in value)
        ):
            self._bad(name, f"must be a non-empty list of months 1-12, not {value!r}")
            return tuple(range(1, 13))
        if len(set(value)) != len(value):
            self._bad(name, "lists a month twice")
        return tuple(sorted(set(value)))

    def kinds(self, name: str) -> tuple[str, ...]:
        value = self._get(name, required=False)
        if value is None:
            return EVENT_KINDS
        if not isinstance(value, list) or not value or not set(value) <= set(EVENT_KINDS):
            self._bad(name, f"must be a non-empty list of {', '.join(EVENT_KINDS)}")
            return EVENT_KINDS
        return tuple(kind for kind in EVENT_KINDS if kind in value)

    def child(self, name: str, *, required: bool = True) -> "_Reader | None":
        value = self._get(name, required=required)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self._bad(name, "must be an object")
            return None
        return _Reader(value, prefix=f"{self.prefix}{name}.", problems=self.problems)

    def finish(self) -> None:
        """Name every field this kind does not know (a typo must not pass silently)."""
        for name in sorted(set(self.data) - self.seen):
            self._bad(name, "unknown field")


def _export_tariff(reader: _Reader) -> ExportTariffRule:
    return ExportTariffRule(
        plan=reader.text("plan", max_length=40),
        channel_kind=reader.choice("channel_kind", EXPORT_CHANNEL_KINDS),
        pay_estimated=reader.boolean("pay_estimated", default=False),
    )


def _accepted_offer(reader: _Reader) -> AcceptedOfferRule:
    channel_kind = reader.choice("channel_kind", EXPORT_CHANNEL_KINDS)
    shortfall = None
    child = reader.child("shortfall", required=False)
    if child is not None:
        price = child.decimal("price_per_kwh", money="price")
        share = child.decimal("below_share", positive=True, maximum=Decimal(1))
        child.finish()
        shortfall = Shortfall(price or Decimal(0), share or Decimal(1))
    return AcceptedOfferRule(
        channel_kind=channel_kind,
        shortfall=shortfall,
        pay_estimated=reader.boolean("pay_estimated", default=False),
    )


def _pool(reader: _Reader | None, method: str) -> baselines.PoolRule:
    if reader is None:
        return baselines.PoolRule(days=1, of_days=1, min_days=1)
    days = reader.integer("days", minimum=1, maximum=60) or 1
    of_days = reader.integer("of_days", minimum=1, maximum=60) or 1
    min_days = reader.integer("min_days", required=False, default=of_days, minimum=1) or 1
    if days > of_days:
        reader._bad("days", f"must be at most of_days ({of_days}), not {days}")
    if method == baselines.Method.X_OF_Y and days != of_days:
        reader._bad("days", f"X_OF_Y averages all {of_days} days: days must equal of_days")
    if min_days > of_days:
        reader._bad("min_days", f"must be at most of_days ({of_days}), not {min_days}")
    if min_days < days:
        reader._bad("min_days", f"must be at least days ({days}), not {min_days}")
    reader.finish()
    return baselines.PoolRule(days=days, of_days=of_days, min_days=min_days)


def _baseline(reader: _Reader | None) -> baselines.BaselineMethod:
    if reader is None:
        return baselines.BaselineMethod(
            method=baselines.Method.X_OF_Y,
            weekday=baselines.PoolRule(10, 10, 10),
            weekend_holiday=baselines.PoolRule(4, 4, 4),
        )
    method = reader.choice("method", tuple(baselines.Method)) or baselines.Method.X_OF_Y
    weekday = _pool(reader.child("weekday"), method)
    weekend = _pool(reader.child("weekend_holiday"), method)
    share = reader.decimal(
        "max_incomplete_share", required=False, default=Decimal("0.10"), maximum=Decimal(1)
    )
    lookback = reader.integer("lookback_days", required=False, default=45, minimum=1, maximum=120)
    reader.finish()
    return baselines.BaselineMethod(
        method=baselines.Method(method),
        weekday=weekday,
        weekend_holiday=weekend,
        max_incomplete_share=share if share is not None else Decimal("0.10"),
        lookback_days=lookback or 45,
    )


def _adjustment(reader: _Reader | None) -> baselines.AdjustmentBounds | None:
    if reader is None:
        return None
    hours = reader.integer("hours_before", minimum=1, maximum=6) or 1
    skip = reader.integer("skip_hours", required=False, default=0, maximum=6) or 0
    low = reader.decimal("min_factor", positive=True) or Decimal(1)
    high = reader.decimal("max_factor", positive=True) or Decimal(1)
    if high < low:
        reader._bad("max_factor", f"must be at least min_factor ({low}), not {high}")
    reader.finish()
    return baselines.AdjustmentBounds(
        hours_before=hours, skip_hours=skip, min_factor=low, max_factor=high
    )


def _event_incremental(reader: _Reader) -> EventIncrementalRule:
    channel_kind = reader.choice("channel_kind", EXPORT_CHANNEL_KINDS)
    price = reader.decimal("price_per_kwh", required=False, money="price")
    baseline = _baseline(reader.child("baseline"))
    adjustment = _adjustment(reader.child("adjustment", required=False))
    negative = reader.choice(
        "negative_hours", tuple(NegativeHours), required=False, default=NegativeHours.ZERO
    )
    return EventIncrementalRule(
        channel_kind=channel_kind,
        price_per_kwh=price,
        baseline=baseline,
        adjustment=adjustment,
        negative_hours=NegativeHours(negative),
        per_event_cap=reader.decimal("per_event_cap", required=False, money="amount"),
        per_season_cap=reader.decimal("per_season_cap", required=False, money="amount"),
        minimum_payment=reader.decimal(
            "minimum_payment", required=False, default=Decimal(0), money="amount"
        )
        or Decimal("0.00"),
        pay_test_events=reader.boolean("pay_test_events", default=False),
        pay_estimated=reader.boolean("pay_estimated", default=False),
        holidays=reader.choice(
            "holidays",
            holiday_calendars.CALENDAR_NAMES,
            required=False,
            default=holiday_calendars.HolidayCalendar.NONE,
        ),
    )


def _seasonal_capacity(reader: _Reader) -> SeasonalCapacityRule:
    return SeasonalCapacityRule(
        channel_kind=reader.choice("channel_kind", EXPORT_CHANNEL_KINDS),
        price_per_kw=reader.decimal("price_per_kw", positive=True, money="price") or Decimal(0),
        season_months=reader.months("season_months"),
        pay_test_events=reader.boolean("pay_test_events", default=False),
    )


def _availability(reader: _Reader) -> AvailabilityRule:
    start = reader.clock("window_start") or time(0)
    end = reader.clock("window_end") or time(0)
    if start == end:
        reader._bad("window_end", "must differ from window_start")
    return AvailabilityRule(
        amount=reader.decimal("amount", positive=True, money="amount") or Decimal(0),
        windows_per_month=reader.integer("windows_per_month", minimum=1, maximum=31) or 1,
        window_start=start,
        window_end=end,
    )


def _one_off(reader: _Reader) -> OneOffRule:
    trigger = reader.choice("trigger", tuple(OneOffTrigger)) or OneOffTrigger.ENROLLMENT
    milestone = reader.text("milestone", required=trigger == OneOffTrigger.MILESTONE)
    if trigger == OneOffTrigger.ENROLLMENT and milestone:
        reader._bad("milestone", "only a MILESTONE trigger names a milestone")
    return OneOffRule(
        amount=reader.decimal("amount", positive=True, money="amount") or Decimal(0),
        trigger=OneOffTrigger(trigger),
        milestone=milestone,
        max_payments=reader.integer("max_payments", required=False, default=1, minimum=1) or 1,
    )


def _event_constraints(reader: _Reader) -> EventConstraints:
    months = reader.months("season_months", required=False)
    earliest = reader.clock("earliest_start", required=False, default=time(0)) or time(0)
    latest = reader.clock("latest_end", required=False)
    shortest = reader.integer("min_duration_minutes", required=False, default=15, minimum=15)
    longest = reader.integer(
        "max_duration_minutes", required=False, default=24 * 60, minimum=15, maximum=24 * 60
    )
    shortest = shortest or 15
    longest = longest or 24 * 60
    if longest < shortest:
        reader._bad("max_duration_minutes", f"must be at least min_duration_minutes ({shortest})")
    if latest is not None and latest <= earliest:
        reader._bad("latest_end", f"must be after earliest_start ({earliest:%H:%M})")
    return EventConstraints(
        season_months=months,
        earliest_start=earliest,
        latest_end=latest,
        min_duration_minutes=shortest,
        max_duration_minutes=longest,
        yearly_hour_cap=reader.integer("yearly_hour_cap", required=False, minimum=1),
        kinds=reader.kinds("kinds"),
        battery_usable_kwh=reader.decimal(
            "battery_usable_kwh", required=False, positive=True, money="amount"
        ),
        battery_wear_cost_per_kwh=reader.decimal(
            "battery_wear_cost_per_kwh", required=False, money="price"
        ),
    )


_PARSERS: dict[RuleKind, Callable[[_Reader], RuleParameters]] = {
    RuleKind.EXPORT_TARIFF: _export_tariff,
    RuleKind.ACCEPTED_OFFER: _accepted_offer,
    RuleKind.EVENT_INCREMENTAL: _event_incremental,
    RuleKind.SEASONAL_CAPACITY: _seasonal_capacity,
    RuleKind.AVAILABILITY: _availability,
    RuleKind.ONE_OFF: _one_off,
    RuleKind.EVENT_CONSTRAINTS: _event_constraints,
}


def parse_parameters(kind: str, parameters: object, *, prefix: str = "") -> RuleParameters:
    """Return the typed parameters of a rule of `kind`; raises RuleInvalid naming each field."""
    if kind not in RuleKind.__members__:
        raise RuleInvalid(
            [Problem("kind", f"{kind!r} is not one of {', '.join(RuleKind)}")], prefix=prefix
        )
    if not isinstance(parameters, Mapping):
        raise RuleInvalid([Problem("parameters", "must be an object")], prefix=prefix)
    reader = _Reader(parameters, prefix="parameters.")
    parsed = _PARSERS[RuleKind(kind)](reader)
    reader.finish()
    if reader.problems:
        raise RuleInvalid(reader.problems, prefix=prefix)
    return parsed
