"""Django admin for rule sets and their rules, validated by the one rule validation."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from settlement.programs import operations, rules
from settlement.programs.models import Rule, RuleSet


class RuleForm(forms.ModelForm[Rule]):
    """Checks a rule with `operations.validate_rules` and sets the plan it names."""

    class Meta:
        model = Rule
        fields = ("name", "kind", "parameters")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, parameters = cleaned.get("kind"), cleaned.get("parameters")
        if kind is None or parameters is None:
            return cleaned
        given = operations.RuleInput(cleaned.get("name") or "rule", kind, parameters)
        try:
            [(_, _, plan)] = operations.validate_rules([given], prefix="rule")
        except rules.RuleInvalid as exc:
            raise forms.ValidationError(
                [f"{p.field.removeprefix('rule[0].')}: {p.reason}" for p in exc.problems]
            ) from exc
        self.instance.plan = plan
        return cleaned


class RuleFormSet(forms.BaseInlineFormSet[Rule, RuleSet, forms.ModelForm[Rule]]):
    """Checks the rules of a set together, as every other path does.

    Each form alone cannot see a second rule of its kind, or ACCEPTED_OFFER beside
    EVENT_INCREMENTAL (the same energy paid twice).
    """

    def clean(self) -> None:
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.errors
        ]
        if any(form.errors for form in self.forms) or self.instance.program_id is None:
            return
        given = [
            operations.RuleInput(
                form.cleaned_data.get("name") or "rule",
                form.cleaned_data["kind"],
                form.cleaned_data["parameters"],
            )
            for form in kept
        ]
        try:
            operations.validate_rules_locked(
                program=self.instance.program, given=given, prefix="rules"
            )
        except rules.RuleInvalid as exc:
            raise forms.ValidationError([f"{p.field}: {p.reason}" for p in exc.problems]) from exc


class RuleInline(admin.StackedInline[Rule, RuleSet]):
    model = Rule
    form = RuleForm
    formset = RuleFormSet
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A locked set is what a settlement used: it stays as it was.
        if isinstance(obj, RuleSet) and obj.locked_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, RuleSet) and obj.locked_at is not None:
            return False
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, RuleSet) and obj.locked_at is not None:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin[RuleSet]):
    list_display = ("program", "version", "effective_from", "effective_to", "locked_at")
    list_filter = ("program",)
    list_select_related = ("program",)
    readonly_fields = ("content_sha256", "locked_at", "locked_through", "created_at")
    inlines = (RuleInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: RuleSet | None = None) -> Any:
        if obj is not None and obj.locked_at is not None:
            return (
                "program",
                "version",
                "effective_from",
                "effective_to",
                "source_name",
                *self.readonly_fields,
            )
        return self.readonly_fields

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Keep the import key true to what the admin saved, so re-importing the old file
        # is not mistaken for the edited content.
        rule_set: RuleSet = form.instance
        given = operations.RuleSetInput(
            rule_set.effective_from,
            rule_set.effective_to,
            tuple(operations.RuleInput(r.name, r.kind, r.parameters) for r in rule_set.rules.all()),
        )
        rule_set.content_sha256 = operations.content_sha256(given)
        rule_set.save(update_fields=["content_sha256"])
