"""Owner pages: standing answers (rules that answer offers for the owner, versioned) and the
battery behind each charger (usable capacity and wear cost, which price every offer's wear)."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import access, signed_in
from accounts import queries as account_queries
from accounts.models import Participant, User
from settlement.errors import DomainError
from settlement.events import battery, operations, standing
from settlement.events.models import StandingRuleVersion

WEEKDAYS = [
    ("1", "Mon"),
    ("2", "Tue"),
    ("3", "Wed"),
    ("4", "Thu"),
    ("5", "Fri"),
    ("6", "Sat"),
    ("7", "Sun"),
]
# What a new rule's form starts with: weekday evenings over $1.00/kWh.
NEW_RULE = {
    "name": "",
    "min_price_per_kwh": "1.00",
    "min_net_amount": "",
    "max_kw": "",
    "weekdays": ["1", "2", "3", "4", "5"],
    "start_hour": "16",
    "end_hour": "21",
    "monthly_limit": "",
    "reserve_percent": "",
    "position": "1",
    "charger_id": "",
    "decline_below": False,
}


def _decimal(post: QueryDict, field: str) -> Decimal | None:
    text = post.get(field, "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise operations.StandingRuleInvalid(
            f"{field}: {text[:40]!r} is not a number", details={"field": field}
        ) from None


def _integer(post: QueryDict, field: str, default: int | None) -> int | None:
    text = post.get(field, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):
        raise operations.StandingRuleInvalid(
            f"{field}: {text[:40]!r} is not a whole number", details={"field": field}
        )
    return int(text)


def _terms(post: QueryDict) -> operations.StandingTerms:
    """Return the posted form as a rule's terms; parse errors name the field."""
    return operations.StandingTerms(
        name=post.get("name", ""),
        min_price_per_kwh=_decimal(post, "min_price_per_kwh"),
        min_net_amount=_decimal(post, "min_net_amount"),
        decline_below=post.get("decline_below") == "on",
        max_kw=_decimal(post, "max_kw"),
        weekdays="".join(post.getlist("weekdays")),
        start_hour=_integer(post, "start_hour", 0) or 0,
        end_hour=_integer(post, "end_hour", 24) or 0,
        monthly_limit=_integer(post, "monthly_limit", None),
        reserve_percent=_integer(post, "reserve_percent", None),
        position=_integer(post, "position", 1) or 0,
        charger_id=_integer(post, "charger_id", None),
    )


def _typed(post: QueryDict) -> dict[str, object]:
    """Return the posted form's values, to show them again beside why they were refused."""
    typed: dict[str, object] = {key: post.get(key, "") for key in NEW_RULE}
    typed["weekdays"] = post.getlist("weekdays")
    typed["decline_below"] = post.get("decline_below") == "on"
    return typed


def _form_of(version: StandingRuleVersion) -> dict[str, object]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    return {
        "name": version.name,
        "min_price_per_kwh": text(version.min_price_per_kwh),
        "min_net_amount": text(version.min_net_amount),
        "max_kw": text(version.max_kw),
        "weekdays": list(version.weekdays),
        "start_hour": str(version.start_hour),
        "end_hour": str(version.end_hour),
        "monthly_limit": text(version.monthly_limit),
        "reserve_percent": text(version.reserve_percent),
        "position": str(version.position),
        "charger_id": text(version.charger_id),
        "decline_below": version.decline_below,
    }


def _participant_blocks(user: User) -> list[dict[str, object]]:
    acting = set(access.participants_acted_for(user=user).values_list("pk", flat=True))
    chargers = list(battery.chargers_for_user(user=user))
    settings = battery.settings_of(charger_ids=[c.pk for c in chargers])
    blocks = []
    for participant in account_queries.participants_of(user=user).order_by("pk"):
        currency = standing.currency_of(participant=participant)
        mine = [c for c in chargers if c.site.participant_id == participant.pk]
        blocks.append(
            {
                "participant": participant,
                "may_act": participant.pk in acting,
                "currency": currency,
                "rules": [
                    {
                        "version": version,
                        "summary": standing.describe(version=version, currency=currency),
                    }
                    for version in standing.latest_versions(participant_id=participant.pk)
                ],
                "charger_list": mine,
                "chargers": [
                    {
                        "charger": charger,
                        "setting": settings.get(charger.pk),
                    }
                    for charger in mine
                ],
            }
        )
    return blocks


def _page(
    request: HttpRequest,
    *,
    refused: dict[str, object] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "blocks": _participant_blocks(signed_in.signed_in_user(request)),
        "weekdays": WEEKDAYS,
        "hours": range(25),
        "new_rule": NEW_RULE,
        "refused": refused or {},
        "default_usable_kwh": battery.DEFAULT_USABLE_KWH,
        "default_wear": battery.DEFAULT_WEAR_COST_PER_KWH,
    }
    return render(request, "portal/standing_answers.html", context, status=status)


@login_required
@require_safe
def standing_answers(request: HttpRequest) -> HttpResponse:
    """Show each participant's standing rules (latest versions) and chargers' batteries."""
    return _page(request)


def _participant(request: HttpRequest, participant_id: int) -> Participant:
    try:
        return standing.access_participant_for_user(
            user=signed_in.signed_in_user(request), participant_id=participant_id
        )
    except standing.ParticipantNotFound:
        raise Http404("no such participant") from None


@login_required
@require_POST
def create(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Create a standing rule (version 1); a refused form comes back with the reason."""
    participant = _participant(request, participant_id)
    user = signed_in.signed_in_user(request)
    access.require_may_act_for(user=user, participant=participant)
    try:
        version = operations.create_standing_rule(
            participant=participant, terms=_terms(request.POST), user=user, now=timezone.now()
        )
    except DomainError as exc:
        refused = {
            "participant_id": participant.pk,
            "form": _typed(request.POST),
            "error": exc.message,
        }
        return _page(request, refused=refused, status=400)
    messages.success(request, f"Rule '{version.name}' saved: it answers offers made from now on.")
    return redirect("portal:standing-answers")


def _rule(request: HttpRequest, rule_id: int) -> standing.StandingRule:
    try:
        return standing.access_rule_for_user(
            user=signed_in.signed_in_user(request), rule_id=rule_id
        )
    except standing.StandingRuleNotFound:
        raise Http404("no such rule") from None


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Show a rule with its versions and a form to change it (a POST saves a new version)."""
    rule = _rule(request, rule_id)
    user = signed_in.signed_in_user(request)
    latest = standing.latest_version(rule=rule)
    currency = standing.currency_of(participant=rule.participant)
    error = ""
    form = _form_of(latest)
    status = 200
    if request.method == "POST":
        access.require_may_act_for(user=user, participant=rule.participant)
        try:
            version = operations.change_standing_rule(
                rule=rule, terms=_terms(request.POST), user=user, now=timezone.now()
            )
        except DomainError as exc:
            error, form, status = exc.message, _typed(request.POST), 400
        else:
            messages.success(
                request,
                f"Rule '{version.name}' changed: version {version.version} answers from now on.",
            )
            return redirect("portal:standing-answers")
    context = {
        "rule": rule,
        "latest": latest,
        "versions": [
            {"version": v, "summary": standing.describe(version=v, currency=currency)}
            for v in standing.history_of(rule_id=rule.pk).select_related("charger", "created_by")
        ],
        "may_act": access.may_act_for(user=user, participant=rule.participant),
        "currency": currency,
        "form": form,
        "error": error,
        "weekdays": WEEKDAYS,
        "hours": range(25),
        "chargers": list(
            battery.chargers_for_user(user=user).filter(site__participant=rule.participant)
        ),
    }
    return render(request, "portal/standing_answer.html", context, status=status)


@login_required
@require_POST
def disable(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Disable a rule (a new, inactive version): the answers it gave stand."""
    rule = _rule(request, rule_id)
    user = signed_in.signed_in_user(request)
    access.require_may_act_for(user=user, participant=rule.participant)
    version = operations.disable_standing_rule(rule=rule, user=user, now=timezone.now())
    messages.success(request, f"Rule '{version.name}' disabled: it answers no more offers.")
    return redirect("portal:standing-answers")


@login_required
@require_POST
def set_battery(request: HttpRequest, charger_id: int) -> HttpResponse:
    """Save a charger's battery (usable kWh, wear cost per kWh); refused input comes back."""
    user = signed_in.signed_in_user(request)
    try:
        charger = battery.access_charger_for_user(user=user, charger_id=charger_id)
    except battery.ChargerNotFound:
        raise Http404("no such charger") from None
    access.require_may_act_for(user=user, participant=charger.site.participant)
    try:
        usable = Decimal(request.POST.get("usable_kwh", "").strip())
        wear = Decimal(request.POST.get("wear_cost_per_kwh", "").strip())
    except InvalidOperation:
        usable = wear = Decimal("NaN")
    try:
        operations.set_battery(
            charger=charger,
            usable_kwh=usable,
            wear_cost_per_kwh=wear,
            user=user,
            now=timezone.now(),
        )
    except DomainError as exc:
        refused = {
            "charger_id": charger.pk,
            "usable_kwh": request.POST.get("usable_kwh", ""),
            "wear_cost_per_kwh": request.POST.get("wear_cost_per_kwh", ""),
            "error": exc.message,
        }
        return _page(request, refused=refused, status=400)
    messages.success(
        request, f"Battery of {charger.external_id} saved: it prices offers from now on."
    )
    return redirect("portal:standing-answers")
