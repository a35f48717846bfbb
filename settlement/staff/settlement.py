"""Staff pages for settlement: start runs, the review queue, a statement and its lineage."""

from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts import signed_in
from settlement import bounds
from settlement.errors import DomainError, NotFound
from settlement.staff import access as staff_access
from settlement.statements import periods
from settlement.statements.models import SettlementRun, Statement
from settlement.statements.review import access, checks, decisions, drilldown, exports
from settlement.statements.review import queries as statement_queries
from settlement.statements.runs import operations, reproduction

DECISIONS = {
    "approve": decisions.approve,
    "hold": decisions.hold,
    "void": decisions.void,
    "release": decisions.release,
}


class RunForm(forms.Form):
    program = forms.CharField(max_length=40)
    period = forms.CharField(max_length=7, help_text="YYYY-MM, local to the program")
    type = forms.ChoiceField(
        choices=[("initial", "Initial"), ("recalculation", "Recalculation"), ("final", "Final")]
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.TextInput)


def _statement_or_404(request: HttpRequest, statement_id: int) -> Statement:
    try:
        return access.access_statement_for_staff(
            user=signed_in.signed_in_user(request), statement_id=statement_id
        )
    except NotFound:
        raise Http404("No such statement.") from None


@staff_access.staff_required
def runs(request: HttpRequest) -> HttpResponse:
    """List recent runs and start a new one."""
    form = RunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = statement_queries.program_by_code(code=form.cleaned_data["program"])
            period = periods.month(form.cleaned_data["period"], time_zone=program.timezone)
            run = operations.start_run(
                program=program,
                period=period,
                run_type=form.cleaned_data["type"].upper(),
                started_by=signed_in.signed_in_user(request),
                now=timezone.now(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(f"{_queue_url()}?run={run.pk}")
    programs = statement_queries.programs_in_scope(user=signed_in.signed_in_user(request))
    recent = (
        SettlementRun.objects.filter(program__in=programs)
        .select_related("program", "started_by")
        .order_by("-started_at", "-pk")[:50]
    )
    return render(
        request,
        "staff/settlement_runs.html",
        {"form": form, "runs": [(run, statement_queries.run_summary(run=run)) for run in recent]},
    )


def _queue_url() -> str:
    return reverse("staff:settlement-queue")


def _bulk_summary(outcome: decisions.BulkApproval) -> str:
    # Only statements this approval completed count as approved: one that needs a second
    # approver is still waiting, and saying "approved" of it misleads the next reviewer.
    parts = [f"Approved {len(outcome.approved)} clean statement(s)"]
    if outcome.awaiting_second:
        parts.append(f"{len(outcome.awaiting_second)} await a second approver (1 of 2)")
    if outcome.skipped:
        parts.append(f"skipped {len(outcome.skipped)}")
    return "; ".join(parts) + "."


@staff_access.staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """The review queue: statements filtered by program, period, flag, state and run."""
    filters = {
        name: request.GET.get(name, "").strip()
        for name in ("program", "period", "flag", "state", "run")
    }
    if request.method == "POST":
        try:
            run = access.access_run_for_staff(
                user=signed_in.signed_in_user(request),
                run_id=bounds.id_from_text(request.POST.get("run", "")) or 0,
            )
            outcome = decisions.approve_clean(
                statements=statement_queries.review_queue(
                    user=signed_in.signed_in_user(request), run_id=run.pk
                ),
                actor=signed_in.signed_in_user(request),
                reason=request.POST.get("reason", ""),
                now=timezone.now(),
            )
            messages.success(request, _bulk_summary(outcome))
            for item in outcome.skipped:
                messages.warning(
                    request,
                    f"Skipped statement {item.statement.pk} "
                    f"({item.statement.participant.email}): {item.reason}",
                )
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        return redirect(request.get_full_path())
    statements = statement_queries.review_queue(
        user=signed_in.signed_in_user(request),
        program_code=filters["program"] or None,
        period=filters["period"] or None,
        flag=filters["flag"] or None,
        state=filters["state"] or None,
        run_id=bounds.id_from_text(filters["run"]),
    )
    context = {
        "filters": filters,
        "statements": statements[:200],
        "flag_labels": checks.FLAG_LABELS,
        "states": Statement.State.choices,
        "programs": statement_queries.programs_in_scope(
            user=signed_in.signed_in_user(request)
        ).order_by("code"),
    }
    return render(request, "staff/settlement_queue.html", context)


def _chart(days: Sequence[tuple[object, int]]) -> dict[str, object]:
    """Return bar geometry (a 600 x 120 SVG) for daily exports."""
    top = max((wh for _, wh in days), default=0) or 1
    width = 600 / max(len(days), 1)
    bars = [
        {
            "x": round(index * width, 2),
            "width": round(width * 0.8, 2),
            "height": round(110 * wh / top, 2),
            "y": round(115 - 110 * wh / top, 2),
            "title": f"{day}: {wh / 1000:.3f} kWh",
        }
        for index, (day, wh) in enumerate(days)
    ]
    return {"bars": bars, "top_kwh": f"{top / 1000:.1f}"}


@staff_access.staff_required
def statement(request: HttpRequest, statement_id: int) -> HttpResponse:
    """One statement: lines, flags, chart, difference from the previous run, decisions."""
    found = _statement_or_404(request, statement_id)
    if request.method == "POST":
        form = DecisionForm(request.POST)
        decide = DECISIONS.get(request.POST.get("decision", ""))
        if decide is not None and form.is_valid():
            try:
                decide(
                    statement=found,
                    actor=signed_in.signed_in_user(request),
                    reason=form.cleaned_data["reason"],
                    now=timezone.now(),
                )
                messages.success(
                    request, f"Statement {found.pk}: {request.POST['decision']} recorded."
                )
            except DomainError as exc:
                messages.error(request, f"Refused: {exc.message}")
        else:
            messages.error(request, "Give a reason for the decision.")
        return redirect("staff:settlement-statement", statement_id=found.pk)
    detail = statement_queries.statement_detail(statement=found)
    context = {
        "statement": found,
        "detail": detail,
        "flags": [(code, checks.FLAG_LABELS.get(code, code)) for code in found.flags],
        "chart": _chart(drilldown.daily_exports(statement=found)),
        "approvers": decisions.approvers_of(statement=found),
        "approvals_needed": decisions.approvals_needed(statement=found),
        "form": DecisionForm(),
    }
    return render(request, "staff/settlement_statement.html", context)


@staff_access.staff_required
def line(request: HttpRequest, statement_id: int, number: int) -> HttpResponse:
    """The readings behind one line, at the revisions the run used."""
    found = _statement_or_404(request, statement_id)
    statement_line = statement_queries.lines_of(statement=found).filter(number=number).first()
    if statement_line is None:
        raise Http404("No such line.")
    intervals = drilldown.line_intervals(line=statement_line, time_zone=found.run.program.timezone)
    context = {
        "statement": found,
        "line": statement_line,
        "intervals": intervals,
        "total_wh": sum(interval.wh or 0 for interval in intervals),
    }
    return render(request, "staff/settlement_line.html", context)


@staff_access.staff_required
def export(request: HttpRequest, run_id: int) -> HttpResponse:
    """Download a run's lines as CSV or JSON."""
    try:
        run = access.access_run_for_staff(user=signed_in.signed_in_user(request), run_id=run_id)
        export_format = request.GET.get("file", "csv")
        body, content_type = exports.render(run=run, export_format=export_format)
    except NotFound:
        raise Http404("No such run.") from None
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="run-{run.pk}-statements.{export_format}"'
    )
    return response


@staff_access.staff_required
def reproduce(request: HttpRequest, run_id: int) -> HttpResponse:
    """Compute a run again from its recorded inputs and show whether it comes out the same."""
    try:
        run = access.access_run_for_staff(user=signed_in.signed_in_user(request), run_id=run_id)
    except NotFound:
        raise Http404("No such run.") from None
    verdict, error = None, ""
    try:
        verdict = reproduction.reproduce_run(run=run).as_dict()
    except DomainError as exc:
        error = exc.message
    return render(
        request,
        "staff/settlement_reproduce.html",
        {"run": run, "verdict": verdict, "error": error},
    )
