"""Staff page: a program's settings (review thresholds, payouts, meter data) and their history."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts import queries as account_queries
from accounts.models import Program, User
from accounts.signed_in import signed_in_user
from settlement.errors import DomainError
from settlement.metering import program_settings as metering_settings
from settlement.metering.models import Source
from settlement.outcomes import Outcome
from settlement.payouts import program_settings as payout_settings
from settlement.payouts.models import PayoutMethod
from settlement.programs import queries as program_queries
from settlement.staff import access
from settlement.statements.review import thresholds

TAX_FORM_CHOICES = [(form, form) for form in payout_settings.TAX_FORMS]


class ThresholdsForm(forms.Form):
    review_cap = forms.DecimalField(
        max_digits=12, decimal_places=2, help_text="A statement above this total is flagged."
    )
    two_approver_amount = forms.DecimalField(
        max_digits=12, decimal_places=2, help_text="From this total on, two approvers."
    )
    change_factor = forms.DecimalField(
        max_digits=6, decimal_places=2, help_text="Flagged when the total moves by this factor."
    )
    data_quality_share = forms.DecimalField(
        max_digits=4, decimal_places=3, help_text="Flagged above this share of estimated data."
    )
    settle_after_days = forms.IntegerField(
        help_text="The schedule settles a month this many days after it ends."
    )


class PayoutForm(forms.Form):
    method = forms.ChoiceField(choices=PayoutMethod.choices)
    minimum_cents = forms.IntegerField(help_text="Smaller balances roll over (cents).")
    tax_form = forms.ChoiceField(choices=TAX_FORM_CHOICES, help_text="For individuals.")
    organization_tax_form = forms.ChoiceField(
        choices=[("", "same as individuals"), *TAX_FORM_CHOICES], required=False
    )


class MeteringForm(forms.Form):
    interpolate_gaps_up_to_minutes = forms.IntegerField(help_text="0 turns interpolation off.")
    site_max_kw = forms.DecimalField(max_digits=8, decimal_places=3)
    source_precedence = forms.CharField(
        help_text="Every source once, most trusted first, separated by commas: "
        + ", ".join(Source.values)
    )


FORMS: dict[str, type[forms.Form]] = {
    "settlement": ThresholdsForm,
    "payout": PayoutForm,
    "metering": MeteringForm,
}


def _save(section: str, data: dict[str, Any], program: Program, user: User) -> Outcome:
    # One domain call per section; each checks the role and audits the change.
    now = timezone.now()
    if section == "settlement":
        _, outcome = thresholds.save_thresholds(
            program=program, thresholds=thresholds.Thresholds(**data), changed_by=user, now=now
        )
    elif section == "payout":
        _, outcome = payout_settings.save_payout_settings(
            program=program,
            settings=payout_settings.PayoutSettings(**data),
            changed_by=user,
            now=now,
        )
    else:
        precedence = [name.strip() for name in data["source_precedence"].split(",") if name.strip()]
        _, outcome = metering_settings.save_metering_settings(
            program=program,
            settings=metering_settings.MeteringSettings(
                interpolate_gaps_up_to_minutes=data["interpolate_gaps_up_to_minutes"],
                site_max_kw=Decimal(data["site_max_kw"]),
                source_precedence=precedence,
            ),
            changed_by=user,
            now=now,
        )
    return outcome


def _initial(current: payout_settings.ProgramSettings) -> dict[str, dict[str, object]]:
    return {
        "settlement": {
            "review_cap": current.thresholds.review_cap,
            "two_approver_amount": current.thresholds.two_approver_amount,
            "change_factor": current.thresholds.change_factor,
            "data_quality_share": current.thresholds.data_quality_share,
            "settle_after_days": current.thresholds.settle_after_days,
        },
        "payout": {
            "method": current.payout.method,
            "minimum_cents": current.payout.minimum_cents,
            "tax_form": current.payout.tax_form,
            "organization_tax_form": current.payout.organization_tax_form,
        },
        "metering": {
            "interpolate_gaps_up_to_minutes": current.metering.interpolate_gaps_up_to_minutes,
            "site_max_kw": current.metering.site_max_kw,
            "source_precedence": ", ".join(current.metering.source_precedence),
        },
    }


@access.staff_required
def program_settings(request: HttpRequest, code: str) -> HttpResponse:
    """Show a program's settings to staff; program administrators change one section a time."""
    try:
        program = program_queries.program_by_code(code=code)
    except program_queries.ProgramNotFound:
        raise Http404("no such program") from None
    user = signed_in_user(request)
    current = payout_settings.settings_of(program=program)
    initial = _initial(current)
    section = request.POST.get("section", "") if request.method == "POST" else ""
    bound = {
        name: form_class(
            request.POST if name == section else None, initial=initial[name], prefix=name
        )
        for name, form_class in FORMS.items()
    }
    if section in bound and bound[section].is_valid():
        try:
            outcome = _save(section, bound[section].cleaned_data, program, user)
        except DomainError as exc:
            fields = exc.details.get("fields")
            if isinstance(fields, dict):
                for field, reasons in fields.items():
                    target = field if field in bound[section].fields else None
                    for reason in reasons:
                        bound[section].add_error(target, reason)
            else:
                bound[section].add_error(None, exc.message)
        else:
            messages.success(request, f"{program.code} {section} settings: {outcome.value}.")
            return redirect("staff:program-settings", code=program.code)
    context = {
        "program": program,
        "forms": bound,
        "changes": current.changes,
        "can_manage": account_queries.is_program_administrator(user=user),
    }
    return render(request, "staff/program_settings.html", context)
