"""What the lines paid by program rules (beside the export tariff) share.

Each of these lines names its rule version the way export lines do ("rule 7 of rules v2"),
is matched across runs by rule name, rule set version and bucket, and says in plain words
what it pays for. Lines of several rules of one statement are collected in `RuleLines`,
with the rule sets to lock and the event results the run must record.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from settlement import formatting
from settlement.programs import queries as program_queries
from settlement.rating.money import round_to_cents
from settlement.statements.lines import run_lineage
from settlement.statements.lines.computation import ZERO_AMOUNT, ZERO_KWH, ComputedLine
from settlement.statements.lines.lineage import Run

KWH = Decimal("0.001")


@dataclass
class RuleLines:
    """A participant's rule lines and what the run records about them."""

    lines: list[ComputedLine] = field(default_factory=list)
    rule_sets: set[int] = field(default_factory=set)
    rule_versions: set[str] = field(default_factory=set)
    # One entry per event result (delivery) a line was computed from.
    event_results: list[run_lineage.EventResult] = field(default_factory=list)
    # Readings (other than the export channel's) a line was computed from.
    readings: list[Run] = field(default_factory=list)

    def add(self, line: ComputedLine, *, rule_set_id: int | None) -> None:
        """Add `line`, noting the rule set it was computed with (to lock it)."""
        self.lines.append(line)
        if rule_set_id is not None:
            self.rule_sets.add(rule_set_id)
        if line.rule_version:
            self.rule_versions.add(line.rule_version)


def rule_version(*, rule_id: int, version: int) -> str:
    """Return how lineage names a rule version: "rule 7 of rules v2"."""
    return f"rule {rule_id} of rules v{version}"


def match_key(kind: str, name: str, fingerprint: str, *bucket: object) -> str:
    """Return the key a recalculation matches the line by: kind, rule, its text, bucket.

    The rule's name and the fingerprint of its text (`programs.queries.rule_fingerprints`)
    stand for the rule version, so a new rule set version that leaves a rule as it was
    books nothing for it, and a corrected rule reverses the old line and books the new.
    """
    return ":".join([kind.lower(), name, fingerprint, *map(str, bucket)])


def stretch_on(stretches: list[program_queries.RulesInForce], day: date):  # type: ignore[no-untyped-def]
    """Return the rule set stretch in force on local date `day`, or None."""
    for stretch in stretches:
        if stretch.start <= day and (stretch.end is None or day < stretch.end):
            return stretch
    return None


def kwh_of_wh(wh: Decimal | int) -> Decimal:
    """Return Wh as kWh with three decimals (half-up): what a line's kWh column holds."""
    return (Decimal(wh) / 1000).quantize(KWH, rounding=ROUND_HALF_UP)


def money(value: Decimal, *, currency: str) -> str:
    """Return an amount as a rule line's label writes it: "$1.00", "-$3.75", "-€3.75"."""
    cents = round_to_cents(value)
    symbol = formatting.currency_symbol(currency)
    return f"-{symbol}{-cents}" if cents < 0 else f"{symbol}{cents}"


def day_label(moment: datetime | date) -> str:
    """Return "18 Jul" (local)."""
    return f"{moment.day} {moment:%b}"


def runs_from_keys(
    keys: list[tuple[int, int, int]], durations: dict[tuple[int, int], int]
) -> list[Run]:
    """Return lineage runs for readings named (channel, start epoch s, revision).

    `durations` gives each reading's length by (channel, start); consecutive readings of one
    channel, duration and revision make one run.
    """
    by_channel: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for channel_id, start, revision in sorted(set(keys)):
        by_channel[channel_id].append((start, durations.get((channel_id, start), 0), revision))
    runs: list[Run] = []
    for channel_id in sorted(by_channel):
        for start, duration, revision in by_channel[channel_id]:
            last = runs[-1] if runs else None
            if (
                last is not None
                and last[0] == channel_id
                and last[2] == duration
                and last[4] == revision
                and last[1] + last[2] * last[3] == start
            ):
                last[3] += 1
            else:
                runs.append([channel_id, start, duration, 1, revision])
    return runs


def not_settleable(key: str, label: str, reason: str, **extra: object) -> ComputedLine:
    """Return a rule's NOT_SETTLEABLE line: labelled with the reason, paying nothing."""
    return ComputedLine(
        kind="NOT_SETTLEABLE",
        label=f"Not settleable: {label}: {reason}",
        match_key=f"not_settleable:{key}",
        kwh=ZERO_KWH,
        price=None,
        amount=ZERO_AMOUNT,
        detail={"reason": reason},
        **extra,  # type: ignore[arg-type]
    )
