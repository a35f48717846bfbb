"""Staff pages for settlement: start runs, the review queue, a statement and its lineage."""

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast, overload
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts import signed_in
from settlement import bounds
from settlement.errors import DomainError, NotFound
from settlement.form_errors import add_domain_error
from settlement.staff import access as staff_access
from settlement.statements import periods
from settlement.statements.models import Statement, StatementLine
from settlement.statements.review import access, checks, decisions, drilldown, exports
from settlement.statements.review import queries as statement_queries
from settlement.statements.runs import operations, reproduction

# Rows per page of every list here: enough to scan, few enough to render fast.
PAGE_SIZE = 50

DECISIONS = {
    "approve": decisions.approve,
    "hold": decisions.hold,
    "void": decisions.void,
    "release": decisions.release,
}


class RunForm(forms.Form):
    program = forms.ChoiceField(choices=[])

    def __init__(
        self, data: Mapping[str, Any] | None, *, programs: Sequence[tuple[str, str]]
    ) -> None:
        super().__init__(data)
        # The programs the user works on, known per request: a list to pick from.
        self.fields["program"] = forms.ChoiceField(choices=programs)

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
    """List runs, a page at a time, and start a new one in a program the user works on."""
    programs = statement_queries.programs_in_scope(user=signed_in.signed_in_user(request))
    form = RunForm(
        request.POST or None,
        programs=[
            (program.code, f"{program.code} ({program.name})")
            for program in programs.order_by("code")
        ],
    )
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
            add_domain_error(form, exc)
        else:
            return redirect(f"{_queue_url()}?run={run.pk}")
    page = Paginator(
        statement_queries.runs_for_staff(user=signed_in.signed_in_user(request)), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    listed = list(page)
    summaries = statement_queries.run_summaries(runs=listed)
    return render(
        request,
        "staff/settlement_runs.html",
        {"form": form, "page": page, "runs": list(zip(listed, summaries, strict=True))},
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
    if not any(name in request.GET for name in filters):
        # The queue opens on what waits for a person; "All" in the state filter shows the rest.
        filters["state"] = Statement.State.NEEDS_REVIEW
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
    page = Paginator(statements, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "query": urlencode({name: value for name, value in filters.items() if value}),
        "statements": page,
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
    zone = ZoneInfo(found.run.program.timezone)
    # The detail's times are ISO text (the API's); a person reads them in the program's zone.
    transitions = [
        {**transition, "local_at": datetime.fromisoformat(str(transition["at"])).astimezone(zone)}
        for transition in cast("list[dict[str, object]]", detail["transitions"])
    ]
    context = {
        "statement": found,
        "detail": detail,
        "transitions": transitions,
        "flags": [(code, checks.FLAG_LABELS.get(code, code)) for code in found.flags],
        "chart": _chart(drilldown.daily_exports(statement=found)),
        "approvers": decisions.approvers_of(statement=found),
        "approvals_needed": decisions.approvals_needed(statement=found),
        "form": DecisionForm(),
    }
    return render(request, "staff/settlement_statement.html", context)


# A month of 15-minute readings is about 3,000 rows: a page is a day or two of them.
READINGS_PAGE_SIZE = 200


class _LineReadings:
    """A line's readings as the paginator slices them: one page is read from the database."""

    def __init__(self, *, line: StatementLine, time_zone: str) -> None:
        self.line = line
        self.time_zone = time_zone
        self.count = drilldown.line_interval_count(line=line)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[drilldown.LineInterval]:
        return iter(self[0 : self.count])

    @overload
    def __getitem__(self, index: int) -> drilldown.LineInterval: ...

    @overload
    def __getitem__(self, index: slice) -> list[drilldown.LineInterval]: ...

    def __getitem__(
        self, index: int | slice
    ) -> drilldown.LineInterval | list[drilldown.LineInterval]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        first = index.start or 0
        return drilldown.line_intervals(
            line=self.line,
            time_zone=self.time_zone,
            first=first,
            count=(index.stop or self.count) - first,
        )


@staff_access.staff_required
def line(request: HttpRequest, statement_id: int, number: int) -> HttpResponse:
    """The readings behind one line, at the revisions the run used."""
    found = _statement_or_404(request, statement_id)
    statement_line = statement_queries.lines_of(statement=found).filter(number=number).first()
    if statement_line is None:
        raise Http404("No such line.")
    readings = _LineReadings(line=statement_line, time_zone=found.run.program.timezone)
    page: Page[drilldown.LineInterval] = Paginator(readings, READINGS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "statement": found,
        "line": statement_line,
        "intervals": page.object_list,
        "page": page,
        "reading_count": len(readings),
        "total_wh": drilldown.line_total_wh(
            line=statement_line, time_zone=found.run.program.timezone
        ),
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
