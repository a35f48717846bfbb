"""Staff pages: events (list, create, modify, cancel), results, and program rules."""

import json
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import signed_in
from accounts.models import Program
from settlement import safe_json
from settlement.errors import DomainError
from settlement.events import constraints, operations, queries
from settlement.events.models import DispatchEvent
from settlement.form_errors import add_domain_error
from settlement.programs import operations as program_operations
from settlement.programs import queries as program_queries
from settlement.programs import rules as rule_types
from settlement.staff import access

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EventForm(forms.Form):
    program = forms.ModelChoiceField(
        queryset=Program.objects.order_by("code"), to_field_name="code"
    )
    start = forms.DateTimeField(widget=LOCAL, help_text="Local time in the program's zone.")
    end = forms.DateTimeField(widget=LOCAL)
    deadline = forms.DateTimeField(widget=LOCAL, help_text="Owners answer until then.")
    kind = forms.ChoiceField(choices=DispatchEvent.Kind.choices)
    signal = forms.ChoiceField(choices=DispatchEvent.Signal.choices)
    price = forms.DecimalField(
        max_digits=12,
        decimal_places=5,
        help_text="Price per kWh in the program's currency (the EXPORT_PRICE signal).",
    )
    target_kw = forms.DecimalField(max_digits=10, decimal_places=3, required=False)


def _naive(value: Any) -> Any:
    # Django makes form datetimes aware in its own zone; the program's zone is meant.
    return timezone.make_naive(value) if timezone.is_aware(value) else value


def _terms(data: dict[str, Any], zone: str) -> operations.EventTerms:
    return operations.EventTerms(
        starts_at=queries.localize(_naive(data["start"]), time_zone=zone),
        ends_at=queries.localize(_naive(data["end"]), time_zone=zone),
        response_deadline=queries.localize(_naive(data["deadline"]), time_zone=zone),
        kind=data["kind"],
        price_per_kwh=data["price"],
        target_kw=data.get("target_kw"),
        signal=data["signal"],
    )


def _add_errors(form: forms.Form, error: DomainError) -> None:
    if isinstance(error, constraints.EventInvalid):
        for problem in error.problems:
            field = problem.field if problem.field in form.fields else None
            form.add_error(field, problem.reason)
        return
    add_domain_error(form, error)


@access.staff_required
def events(request: HttpRequest) -> HttpResponse:
    """List events; program administrators create them here."""
    user = signed_in.signed_in_user(request)
    can_manage = queries.is_program_administrator(user=user)
    form = EventForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404("only program administrators create events")
        if form.is_valid():
            program = form.cleaned_data["program"]
            try:
                event = operations.create_event(
                    program=program,
                    terms=_terms(form.cleaned_data, program.timezone),
                    created_by=user,
                    now=timezone.now(),
                )
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, f"Event {event.pk} created with {event.offers.count()} offers."
                )
                return redirect("staff:event", event_id=event.pk)
    now = timezone.now()
    listed = [
        (event, queries.event_status(event, now=now)) for event in queries.events_for_staff()[:200]
    ]
    return render(
        request, "staff/events.html", {"events": listed, "form": form, "can_manage": can_manage}
    )


def _event_or_404(request: HttpRequest, event_id: int) -> DispatchEvent:
    try:
        return queries.access_event_for_staff(
            user=signed_in.signed_in_user(request), event_id=event_id
        )
    except queries.EventNotFound:
        raise Http404("no such event") from None


def _initial(event: DispatchEvent) -> dict[str, Any]:
    zone = ZoneInfo(event.program.timezone)
    return {
        "program": event.program,
        "start": event.starts_at.astimezone(zone).replace(tzinfo=None),
        "end": event.ends_at.astimezone(zone).replace(tzinfo=None),
        "deadline": event.response_deadline.astimezone(zone).replace(tzinfo=None),
        "kind": event.kind,
        "signal": event.signal,
        "price": event.price_per_kwh,
        "target_kw": event.target_kw,
    }


@access.staff_required
def event(request: HttpRequest, event_id: int) -> HttpResponse:
    """Show an event: terms, offers and results; administrators modify it here."""
    found = _event_or_404(request, event_id)
    user = signed_in.signed_in_user(request)
    can_manage = queries.is_program_administrator(user=user)
    form = EventForm(request.POST or None, initial=_initial(found))
    if request.method == "POST":
        if not can_manage:
            raise Http404("only program administrators modify events")
        if form.is_valid():
            try:
                found = operations.modify_event(
                    event=found,
                    terms=_terms(form.cleaned_data, found.program.timezone),
                    now=timezone.now(),
                )
            except DomainError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Event modified (modification {found.modification}).")
                return redirect("staff:event", event_id=found.pk)
    offers = list(queries.offers_of_event(event=found))
    context = {
        "event": found,
        "status": queries.event_status(found, now=timezone.now()),
        "results": queries.participant_results(offers=offers),
        "totals": queries.totals(offers),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "staff/event.html", context)


@access.staff_required
@require_POST
def cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    """Cancel the event (program administrators)."""
    found = _event_or_404(request, event_id)
    if not queries.is_program_administrator(user=signed_in.signed_in_user(request)):
        raise Http404("only program administrators cancel events")
    try:
        operations.cancel_event(event=found, now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Event cancelled: every offer is closed and nothing is paid.")
    return redirect("staff:event", event_id=found.pk)


@access.staff_required
@require_POST
def measure(request: HttpRequest, event_id: int) -> HttpResponse:
    """Measure (or re-measure) the event's deliveries now, however old it is."""
    found = _event_or_404(request, event_id)
    try:
        counts = operations.measure_event(
            event=found, requested_by=signed_in.signed_in_user(request), now=timezone.now()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Measured: " + ", ".join(f"{count} {outcome}" for outcome, count in counts.items()),
        )
    return redirect("staff:event", event_id=found.pk)


CHART_W, CHART_H = 640, 220


def _chart(hours: list[dict[str, Any]]) -> dict[str, Any]:
    """Return SVG bar geometry: baseline vs actual net load per hour (Wh)."""
    values = [
        abs(float(h[key]))
        for h in hours
        for key in ("baseline_wh", "actual_wh")
        if h.get(key) is not None
    ]
    top = max(values or [1.0]) or 1.0
    slot = CHART_W / max(len(hours), 1)
    bars = []
    middle = CHART_H / 2
    for index, hour in enumerate(hours):
        for offset, key in ((0.15, "baseline_wh"), (0.5, "actual_wh")):
            if hour.get(key) is None:
                continue
            value = float(hour[key])
            height = abs(value) / top * (middle - 10)
            bars.append(
                {
                    "x": round(index * slot + offset * slot, 1),
                    "y": round(middle - height if value >= 0 else middle, 1),
                    "width": round(slot * 0.33, 1),
                    "height": round(height, 1),
                    "kind": "baseline" if key == "baseline_wh" else "actual",
                }
            )
    labels = [
        {"x": round(index * slot + slot / 2, 1), "text": f"{hour['local_hour']:02d}:00"}
        for index, hour in enumerate(hours)
    ]
    return {"width": CHART_W, "height": CHART_H, "middle": middle, "bars": bars, "labels": labels}


@access.staff_required
def event_offer(request: HttpRequest, event_id: int, offer_id: int) -> HttpResponse:
    """Show one participant's delivery: baseline against actual, hour by hour, with inputs."""
    found = _event_or_404(request, event_id)
    offer = next((o for o in queries.offers_of_event(event=found) if o.pk == offer_id), None)
    if offer is None:
        raise Http404("no such offer in this event")
    delivery = queries.current_delivery(offer)
    hours = delivery.hours if delivery else []
    context = {
        "event": found,
        "offer": offer,
        "delivery": delivery,
        "result": queries.ParticipantResult(offer, delivery).as_dict(),
        "chart": _chart(hours),
        "inputs": json.dumps(delivery.inputs.get("baseline", {}), indent=2) if delivery else "",
        "adjustment": delivery.inputs.get("adjustment") if delivery else None,
    }
    return render(request, "staff/event_offer.html", context)


class RuleFileForm(forms.Form):
    document = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text="The rule file as JSON (docs/events.md).",
    )


@access.staff_required
def program_rules(request: HttpRequest, code: str) -> HttpResponse:
    """Show a program's rule set versions; administrators load or edit one as JSON."""
    try:
        program = program_queries.program_by_code(code=code)
    except program_queries.ProgramNotFound:
        raise Http404("no such program") from None
    can_manage = queries.is_program_administrator(user=signed_in.signed_in_user(request))
    form = RuleFileForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404("only program administrators edit rules")
        if form.is_valid():
            try:
                document = safe_json.loads(form.cleaned_data["document"], field="document")
                result = program_operations.import_rules(
                    program_code=program.code, document=document, source_name="staff page"
                )
            except safe_json.JsonInvalid as exc:
                form.add_error("document", exc.reason)
            except rule_types.RuleInvalid as exc:
                for problem in exc.problems:
                    form.add_error("document", f"{problem.field}: {problem.reason}")
            else:
                messages.success(
                    request, f"Rule set v{result.rule_set.version}: {result.outcome.value}."
                )
                return redirect("staff:program-rules", code=program.code)
    # JSON, not Python's repr: what the page shows is what the form takes back.
    versions = [
        (rule_set, json.dumps(program_queries.rule_set_document(rule_set=rule_set), indent=2))
        for rule_set in program_queries.rule_sets_of(program=program)
    ]
    if request.method != "POST" and versions:
        form = RuleFileForm(initial={"document": versions[0][1]})
    return render(
        request,
        "staff/program_rules.html",
        {"program": program, "versions": versions, "form": form, "can_manage": can_manage},
    )
