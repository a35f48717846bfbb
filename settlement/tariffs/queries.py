"""Reads about tariff plans, their versions in force and the plans programs pay by."""

import dataclasses
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from settlement.errors import NotFound
from settlement.rating import holiday_calendars
from settlement.tariffs import definitions
from settlement.tariffs.models import TariffPlan, TariffVersion


class TariffPlanNotFound(NotFound):
    """No tariff plan has this code."""

    code = "tariff_not_found"


def plan_by_code(*, code: str) -> TariffPlan:
    """Return the plan with `code`; raises TariffPlanNotFound."""
    plan = TariffPlan.objects.filter(code=code).first()
    if plan is None:
        raise TariffPlanNotFound(f"no tariff plan {code!r}", details={"field": "tariff"})
    return plan


def versions_overlapping(*, plan: TariffPlan, start: date, end: date) -> QuerySet[TariffVersion]:
    """Return the plan's versions in force on any local date of [start, end), oldest first."""
    return (
        TariffVersion.objects.filter(plan=plan, effective_from__lt=end)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=start))
        .select_related("plan")
        .order_by("effective_from")
    )


def rating_tariff(*, version: TariffVersion, start: date, end: date) -> definitions.Tariff:
    """Return the version's rating tariff for local dates [start, end), holidays layered on.

    The plan's holiday calendar for the years of the range is added to the holidays the
    definition itself names (a PG&E export-rate file flags its own).
    """
    tariff = definitions.from_json(version.definition)
    last = end - timedelta(days=1)
    calendar = holiday_calendars.holiday_dates(
        version.plan.holiday_calendar, range(start.year, last.year + 1)
    )
    return dataclasses.replace(tariff, holidays=tariff.holidays | calendar)


def plans() -> QuerySet[TariffPlan]:
    """Return every tariff plan by code (what a rate preview can price by)."""
    return TariffPlan.objects.order_by("code")
