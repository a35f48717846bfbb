"""Writes of program rules: importing a rule set, editing one before use, locking it."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction

from accounts.models import Program
from settlement import version_locks
from settlement.errors import DomainError
from settlement.outcomes import Outcome
from settlement.programs import rules
from settlement.programs.models import Rule, RuleSet
from settlement.tariffs import operations as tariff_operations
from settlement.tariffs import sources
from settlement.tariffs.models import TariffPlan


class RuleSetLocked(DomainError):
    """A settlement used this rule set: it may not change (a new version may supersede it)."""

    code = "rule_set_locked"
    http_status = 409


class RuleFileInvalid(rules.RuleInvalid):
    """A rule file (or form) breaks the documented format; every bad field is named."""

    code = "rule_file_invalid"


@dataclass(frozen=True)
class RuleInput:
    """One rule as given: its name, kind and JSON parameters."""

    name: str
    kind: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class RuleSetInput:
    """A rule set as given: local dates [effective_from, effective_to) and its rules."""

    effective_from: date
    effective_to: date | None
    rules: tuple[RuleInput, ...]


@dataclass(frozen=True)
class RuleSetImport:
    """The rule set an import created, updated or found."""

    rule_set: RuleSet
    outcome: Outcome

    def as_dict(self) -> dict[str, object]:
        """Return the JSON summary of `import_rules`."""
        rule_set = self.rule_set
        return {
            "program": rule_set.program.code,
            "rule_set_id": rule_set.pk,
            "version": rule_set.version,
            "outcome": self.outcome.value,
            "effective_from": rule_set.effective_from.isoformat(),
            "effective_to": rule_set.effective_to and rule_set.effective_to.isoformat(),
            "rules": [
                {"rule_id": rule.pk, "name": rule.name, "kind": rule.kind}
                for rule in rule_set.rules.order_by("kind", "name")
            ],
        }


def _problem(field: str, reason: str) -> rules.Problem:
    return rules.Problem(field, reason)


def _date(value: object, field: str, problems: list[rules.Problem]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    problems.append(_problem(field, f"{value!r} is not a date YYYY-MM-DD"))
    return None


def _plans_named(parsed: Sequence[tuple[RuleInput, rules.RuleParameters]]) -> dict[str, TariffPlan]:
    codes = [p.plan for _, p in parsed if isinstance(p, rules.ExportTariffRule)]
    return {plan.code: plan for plan in TariffPlan.objects.filter(code__in=codes)}


def validate_rules(
    given: Sequence[RuleInput], *, prefix: str = "rules"
) -> list[tuple[RuleInput, rules.RuleParameters, TariffPlan | None]]:
    """Return each rule with its typed parameters and plan; raises RuleFileInvalid.

    The one validation of rules: admin forms, the staff page, the API and `import_rules`
    all call it. Every problem of every rule is reported at once.
    """
    problems: list[rules.Problem] = []
    parsed: list[tuple[RuleInput, rules.RuleParameters]] = []
    names: set[str] = set()
    kinds: set[str] = set()
    for index, rule in enumerate(given):
        where = f"{prefix}[{index}]."
        try:
            parsed.append((rule, rules.parse_parameters(rule.kind, rule.parameters)))
        except rules.RuleInvalid as exc:
            problems.extend(_problem(f"{where}{p.field}", p.reason) for p in exc.problems)
        if not rule.name or len(rule.name) > 40 or not rule.name.replace("-", "").isalnum():
            problems.append(_problem(f"{where}name", f"{rule.name!r} is not a slug (a-z, 0-9, -)"))
        elif rule.name in names:
            problems.append(_problem(f"{where}name", f"{rule.name!r} is used twice"))
        names.add(rule.name)
        if rule.kind in kinds and rule.kind != rules.RuleKind.ONE_OFF:
            problems.append(_problem(f"{where}kind", f"a rule set has one {rule.kind} rule"))
        kinds.add(rule.kind)
    if {rules.RuleKind.ACCEPTED_OFFER, rules.RuleKind.EVENT_INCREMENTAL} <= kinds:
        # Both would pay the same delivered energy of an accepted offer twice.
        problems.append(
            _problem(prefix, "ACCEPTED_OFFER and EVENT_INCREMENTAL both pay events; keep one")
        )
    plans = _plans_named(parsed)
    result: list[tuple[RuleInput, rules.RuleParameters, TariffPlan | None]] = []
    for rule, parameters in parsed:
        plan = None
        if isinstance(parameters, rules.ExportTariffRule):
            plan = plans.get(parameters.plan)
            if plan is None:
                index = list(given).index(rule)
                problems.append(
                    _problem(
                        f"{prefix}[{index}].parameters.plan",
                        f"no tariff plan {parameters.plan!r} (import it with import_tariff)",
                    )
                )
        result.append((rule, parameters, plan))
    if problems:
        raise RuleFileInvalid(problems)
    return result


def validate_rules_locked(
    *, program: Program, given: Sequence[RuleInput], prefix: str = "rules"
) -> list[tuple[RuleInput, rules.RuleParameters, TariffPlan | None]]:
    """Return `validate_rules(given)` checked under the program's row lock.

    The lock is the one `save_rule_set` takes. Inside the caller's transaction (the admin's
    change view is one) it holds until what was validated is saved, so no other path can
    save a rule set of the program in between. Raises RuleFileInvalid.
    """
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=program.pk)
        return validate_rules(given, prefix=prefix)


def read_rule_file(document: object) -> RuleSetInput:
    """Return the rule set a decoded JSON rule file describes; raises RuleFileInvalid.

    Format (docs/events.md): {"effective_from": "YYYY-MM-DD", "effective_to": null or a
    date, "rules": [{"name": "...", "kind": "...", "parameters": {...}}, ...]}.
    """
    problems: list[rules.Problem] = []
    if not isinstance(document, Mapping):
        raise RuleFileInvalid([_problem("file", "must be a JSON object")])
    for key in sorted(set(document) - {"program", "effective_from", "effective_to", "rules"}):
        problems.append(_problem(key, "unknown field"))
    start = _date(document.get("effective_from"), "effective_from", problems)
    if "effective_from" not in document:
        problems.append(_problem("effective_from", "required"))
    end = _date(document.get("effective_to"), "effective_to", problems)
    if start is not None and end is not None and end <= start:
        problems.append(_problem("effective_to", f"must be after effective_from ({start})"))
    raw_rules = document.get("rules")
    given: list[RuleInput] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(_problem("rules", "must be a non-empty list of rules"))
        raw_rules = []
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, Mapping):
            problems.append(_problem(f"rules[{index}]", "must be an object"))
            continue
        for key in sorted(set(raw) - {"name", "kind", "parameters"}):
            problems.append(_problem(f"rules[{index}].{key}", "unknown field"))
        kind = raw.get("kind")
        if not isinstance(kind, str):
            problems.append(_problem(f"rules[{index}].kind", "required"))
            continue
        name = raw.get("name", kind.lower().replace("_", "-"))
        given.append(RuleInput(str(name), kind, raw.get("parameters", {})))
    try:
        validate_rules(given)
    except rules.RuleInvalid as exc:
        problems.extend(exc.problems)
    if problems or start is None:
        raise RuleFileInvalid(problems)
    return RuleSetInput(effective_from=start, effective_to=end, rules=tuple(given))


def content_sha256(given: RuleSetInput) -> str:
    canonical = {
        "effective_from": given.effective_from.isoformat(),
        "effective_to": given.effective_to and given.effective_to.isoformat(),
        "rules": sorted(
            ({"name": r.name, "kind": r.kind, "parameters": r.parameters} for r in given.rules),
            key=lambda rule: str(rule["name"]),
        ),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _write_rules(rule_set: RuleSet, given: Sequence[RuleInput]) -> None:
    validated = validate_rules(given)
    rule_set.rules.all().delete()
    Rule.objects.bulk_create(
        Rule(
            rule_set=rule_set,
            name=rule.name,
            kind=rule.kind,
            parameters=dict(rule.parameters),
            plan=plan,
        )
        for rule, _, plan in validated
    )


def save_rule_set(*, program: Program, given: RuleSetInput, source_name: str = "") -> RuleSetImport:
    """Return the program's rule set for `given`, created, updated or found (idempotent).

    The same content again changes nothing. The highest version, if unlocked and starting
    on the same date, is updated in place (nothing was paid with it yet); otherwise a new
    version is created, which supersedes older versions on the dates it covers. Raises
    RuleFileInvalid.
    """
    sha256 = content_sha256(given)
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=program.pk)
        same = RuleSet.objects.filter(program=program, content_sha256=sha256).first()
        if same is not None:
            return RuleSetImport(same, Outcome.UNCHANGED)
        latest = RuleSet.objects.filter(program=program).order_by("-version").first()
        if (
            latest is not None
            and latest.locked_at is None
            and latest.effective_from == given.effective_from
        ):
            latest.effective_to = given.effective_to
            latest.content_sha256 = sha256
            latest.source_name = source_name or latest.source_name
            latest.save(update_fields=["effective_to", "content_sha256", "source_name"])
            _write_rules(latest, given.rules)
            return RuleSetImport(latest, Outcome.UPDATED)
        rule_set = RuleSet.objects.create(
            program=program,
            version=(latest.version if latest else 0) + 1,
            effective_from=given.effective_from,
            effective_to=given.effective_to,
            source_name=source_name,
            content_sha256=sha256,
        )
        _write_rules(rule_set, given.rules)
        return RuleSetImport(rule_set, Outcome.CREATED)


def import_rules(*, program_code: str, document: object, source_name: str = "") -> RuleSetImport:
    """Return the rule set a decoded rule file becomes for program `program_code`.

    Raises ProgramNotFound or RuleFileInvalid (naming every bad field); nothing is stored then.
    """
    program = Program.objects.filter(code=program_code).first()
    problems = []
    if program is None:
        problems.append(_problem("program", f"no program {program_code!r}"))
    if isinstance(document, Mapping) and document.get("program") not in (None, program_code):
        problems.append(
            _problem("program", f"the file is for {document['program']!r}, not {program_code!r}")
        )
    if problems:
        raise RuleFileInvalid(problems)
    assert program is not None  # noqa: S101 - narrowed by the check above
    return save_rule_set(program=program, given=read_rule_file(document), source_name=source_name)


def _as_input(rule_set: RuleSet) -> list[RuleInput]:
    return [
        RuleInput(rule.name, rule.kind, rule.parameters)
        for rule in rule_set.rules.order_by("kind", "name")
    ]


def set_export_tariff_rule(
    *, program: Program, plan: TariffPlan, effective_from: date
) -> RuleSetImport:
    """Return the rule set in which `program` pays exports by `plan` from `effective_from`.

    The rule settles on SITE_EXPORT (the revenue meter). The rule set in force on that date
    keeps its other rules: a new version from that date carries them over (to the same end).
    """
    with transaction.atomic():
        current = (
            RuleSet.objects.filter(program=program, effective_from__lte=effective_from)
            .exclude(effective_to__isnull=False, effective_to__lte=effective_from)
            .order_by("-version")
            .first()
        )
        kept = [r for r in _as_input(current) if r.kind != "EXPORT_TARIFF"] if current else []
        existing = current.rules.filter(kind="EXPORT_TARIFF").first() if current else None
        name = existing.name if existing else "export-tariff"
        parameters = dict(existing.parameters) if existing else {}
        parameters.update({"plan": plan.code, "channel_kind": "SITE_EXPORT"})
        if existing is not None and existing.plan_id == plan.pk:
            return RuleSetImport(current, Outcome.UNCHANGED)  # type: ignore[arg-type]
        given = RuleSetInput(
            effective_from=effective_from,
            effective_to=current.effective_to if current else None,
            rules=(*kept, RuleInput(name, "EXPORT_TARIFF", parameters)),
        )
        return save_rule_set(program=program, given=given, source_name=f"import_tariff {plan.code}")


def import_program_tariff(
    *,
    data: bytes,
    source_format: sources.SourceFormat,
    code: str,
    source_name: str = "",
    timezone: str | None = None,
    effective_from: date | None = None,
    program_code: str | None = None,
    holidays: str | None = None,
    now: datetime,
) -> tariff_operations.TariffImport:
    """Return `tariff_operations.import_tariff`'s result, and with `program_code` make the
    plan the program's EXPORT_TARIFF rule from the version's start, in one transaction.

    Raises what `import_tariff` raises.
    """
    with transaction.atomic():
        result = tariff_operations.import_tariff(
            data=data,
            source_format=source_format,
            code=code,
            source_name=source_name,
            timezone=timezone,
            effective_from=effective_from,
            program_code=program_code,
            holidays=holidays,
            now=now,
        )
        if program_code is not None:
            program = Program.objects.get(code=program_code)
            set_export_tariff_rule(
                program=program,
                plan=result.version.plan,
                effective_from=result.version.effective_from,
            )
    return result


def revise_rule(*, rule: Rule, parameters: Mapping[str, Any]) -> Rule:
    """Return `rule` with new parameters, validated; only while its rule set is unlocked.

    Raises RuleSetLocked (import a new version instead) or RuleFileInvalid.
    """
    with transaction.atomic():
        rule_set = RuleSet.objects.select_for_update().get(pk=rule.rule_set_id)
        if rule_set.locked_at is not None:
            raise RuleSetLocked(
                f"{rule_set} was used by a settlement on {rule_set.locked_at:%Y-%m-%d}; "
                "import a new version instead",
                details={"field": "rule_set", "reason": "locked"},
            )
        given = [
            RuleInput(r.name, r.kind, parameters if r.pk == rule.pk else r.parameters)
            for r in rule_set.rules.order_by("kind", "name")
        ]
        validated = validate_rules(given)
        plan = next(p for r, _, p in validated if r.name == rule.name)
        # Updated in place, so the rule keeps its id.
        Rule.objects.filter(pk=rule.pk).update(parameters=dict(parameters), plan=plan)
        rule_set.content_sha256 = content_sha256(
            RuleSetInput(rule_set.effective_from, rule_set.effective_to, tuple(given))
        )
        rule_set.save(update_fields=["content_sha256"])
        return Rule.objects.get(pk=rule.pk)


def lock_rule_set(*, rule_set: RuleSet, through: date, now: datetime) -> RuleSet:
    """Return `rule_set` locked: a settlement computed local dates before `through` with it.

    The first lock records `now`; later locks only extend `locked_through`.
    """
    return version_locks.lock_through(RuleSet, pk=rule_set.pk, through=through, now=now)


def lock_version(*, rule_set_id: int, through: date, now: datetime) -> RuleSet:
    """Return rule set `rule_set_id` locked (as `lock_rule_set`), for callers holding an id."""
    return lock_rule_set(rule_set=RuleSet.objects.get(pk=rule_set_id), through=through, now=now)
