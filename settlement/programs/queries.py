"""Reads of program rules: which rule set version is in force on which local dates.

Settlement asks `rules_in_force(program=, start=, end=)` and gets, for each stretch of local
dates, the typed parameters of every rule with the ids of the rule and its version, so each
statement line can name the rule version it was computed with.
"""

import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, Q

from accounts.models import Program
from settlement.errors import NotFound
from settlement.programs import rules as rule_types
from settlement.programs.models import Rule, RuleSet
from settlement.tariffs.models import TariffPlan


class ProgramNotFound(NotFound):
    """No program has this code."""

    code = "program_not_found"


class RuleSetNotFound(NotFound):
    """No rule set has this id (for this program)."""

    code = "rule_set_not_found"


@dataclass(frozen=True)
class RuleInForce:
    """One rule with its typed parameters and the ids that identify its version."""

    rule_id: int
    rule_set_id: int
    version: int
    name: str
    kind: rule_types.RuleKind
    parameters: rule_types.RuleParameters


@dataclass(frozen=True)
class RulesInForce:
    """The rule set version in force over local dates [start, end) and its rules."""

    rule_set_id: int
    version: int
    start: date
    end: date | None
    locked: bool
    rules: tuple[RuleInForce, ...]

    def of_kind(self, kind: rule_types.RuleKind) -> tuple[RuleInForce, ...]:
        """Return the rules of `kind` (several only for ONE_OFF)."""
        return tuple(rule for rule in self.rules if rule.kind is kind)

    def one(self, kind: rule_types.RuleKind) -> RuleInForce | None:
        """Return the rule of `kind`, or None when the set has none."""
        found = self.of_kind(kind)
        return found[0] if found else None


def program_by_code(*, code: str) -> Program:
    """Return the program with `code`; raises ProgramNotFound."""
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise ProgramNotFound(
            f"program: no program {code!r}", details={"field": "program", "reason": "unknown"}
        )
    return program


def rule_set_document(*, rule_set: RuleSet) -> dict[str, object]:
    """Return the rule file (docs/events.md) that `import_rules` reads back as this version.

    Loading it again for the same program changes nothing (outcome `unchanged`): the page
    shows it so a program administrator can copy, edit and paste it back.
    """
    return {
        "effective_from": rule_set.effective_from.isoformat(),
        "effective_to": rule_set.effective_to.isoformat() if rule_set.effective_to else None,
        "rules": [
            {"name": rule.name, "kind": rule.kind, "parameters": rule.parameters}
            for rule in rule_set.rules.all()
        ],
    }


def rule_sets_of(*, program: Program) -> Iterable[RuleSet]:
    """Return the program's rule set versions, newest first, with their rules."""
    return (
        RuleSet.objects.filter(program=program)
        .select_related("program")
        .prefetch_related(Prefetch("rules", queryset=Rule.objects.order_by("kind", "name")))
        .order_by("-version")
    )


def typed_rules(rule_set: RuleSet) -> tuple[RuleInForce, ...]:
    """Return the rules of `rule_set` with their parameters parsed (as stored, validated)."""
    return tuple(
        RuleInForce(
            rule_id=rule.pk,
            rule_set_id=rule_set.pk,
            version=rule_set.version,
            name=rule.name,
            kind=rule_types.RuleKind(rule.kind),
            parameters=rule_types.parse_parameters(rule.kind, rule.parameters),
        )
        for rule in sorted(rule_set.rules.all(), key=lambda rule: (rule.kind, rule.name))
    )


def _covers(rule_set: RuleSet, day: date) -> bool:
    return rule_set.effective_from <= day and (
        rule_set.effective_to is None or day < rule_set.effective_to
    )


def rules_in_force(*, program: Program, start: date, end: date) -> list[RulesInForce]:
    """Return the rule sets in force over local dates [start, end), in date order.

    Where versions overlap the highest version wins; dates no version covers are absent
    from the result (nothing is in force there). Consecutive dates under one version are
    one entry, whose `start`/`end` are clipped to [start, end).
    """
    overlapping = list(
        RuleSet.objects.filter(program=program, effective_from__lt=end)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=start))
        .prefetch_related("rules")
    )
    edges = {start, end}
    for rule_set in overlapping:
        edges.update(
            day
            for day in (rule_set.effective_from, rule_set.effective_to)
            if day is not None and start < day < end
        )
    points = sorted(edges)
    result: list[RulesInForce] = []
    parsed: dict[int, tuple[RuleInForce, ...]] = {}
    for piece_start, piece_end in itertools.pairwise(points):
        covering = [rs for rs in overlapping if _covers(rs, piece_start)]
        if not covering:
            continue
        winner = max(covering, key=lambda rs: rs.version)
        if result and result[-1].rule_set_id == winner.pk and result[-1].end == piece_start:
            result[-1] = RulesInForce(
                rule_set_id=winner.pk,
                version=winner.version,
                start=result[-1].start,
                end=piece_end,
                locked=winner.locked_at is not None,
                rules=result[-1].rules,
            )
            continue
        if winner.pk not in parsed:
            parsed[winner.pk] = typed_rules(winner)
        result.append(
            RulesInForce(
                rule_set_id=winner.pk,
                version=winner.version,
                start=piece_start,
                end=piece_end,
                locked=winner.locked_at is not None,
                rules=parsed[winner.pk],
            )
        )
    return result


def rule_set_on(*, program: Program, on: date) -> RulesInForce | None:
    """Return the rule set in force on local date `on`, or None."""
    found = rules_in_force(program=program, start=on, end=on + timedelta(days=1))
    return found[0] if found else None


def export_channel_kind(*, plan: TariffPlan, on: date) -> str | None:
    """Return the channel kind the EXPORT_TARIFF rules naming `plan` settle on at `on`.

    None when no program in force on `on` pays by the plan, or when programs disagree.
    """
    kinds = set()
    program_ids = Rule.objects.filter(plan=plan).values_list("rule_set__program_id", flat=True)
    for program in Program.objects.filter(pk__in=program_ids):
        in_force = rule_set_on(program=program, on=on)
        rule = in_force.one(rule_types.RuleKind.EXPORT_TARIFF) if in_force else None
        parameters = rule.parameters if rule is not None else None
        if isinstance(parameters, rule_types.ExportTariffRule) and parameters.plan == plan.code:
            kinds.add(parameters.channel_kind)
    return kinds.pop() if len(kinds) == 1 else None


@dataclass(frozen=True)
class RuleSetFingerprint:
    """A rule set's id and version, and the sha256 of its rules (what a run records)."""

    id: int
    version: int
    rules_sha256: str

    def to_json(self) -> dict[str, object]:
        """Return the fingerprint as a run stores it."""
        return {"id": self.id, "version": self.version, "rules_sha256": self.rules_sha256}


def rule_set_fingerprints(*, rule_set_ids: list[int]) -> list[RuleSetFingerprint]:
    """Return id, version and the sha256 of the rules of each rule set (what a run used)."""
    found = []
    for rule_set in RuleSet.objects.filter(pk__in=rule_set_ids).prefetch_related("rules"):
        rules = sorted([rule.kind, rule.name, rule.parameters] for rule in rule_set.rules.all())
        text = json.dumps(rules, sort_keys=True, separators=(",", ":"))
        found.append(
            RuleSetFingerprint(
                id=rule_set.pk,
                version=rule_set.version,
                rules_sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    return sorted(found, key=lambda entry: entry.id)


def rule_fingerprints(*, program: Program) -> dict[int, str]:
    """Return, by rule id, a short sha256 of each rule's kind and parameters.

    Two versions of a rule with the same text have the same fingerprint, so settlement
    matches their lines; a corrected rule has a new one.
    """
    found = {}
    for pk, kind, parameters in Rule.objects.filter(rule_set__program=program).values_list(
        "pk", "kind", "parameters"
    ):
        text = json.dumps([kind, parameters], sort_keys=True, separators=(",", ":"))
        found[pk] = hashlib.sha256(text.encode()).hexdigest()[:12]
    return found
