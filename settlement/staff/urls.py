"""Routes of the staff area."""

from django.urls import path

from settlement.staff import (
    events,
    members,
    metering,
    payouts,
    program_settings,
    rate_preview,
    readings,
    settlement,
    views,
)

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("members/", members.members, name="members"),
    path("metering/uploads/", metering.uploads, name="metering-uploads"),
    path("metering/uploads/<int:upload_id>/", metering.upload_detail, name="metering-upload"),
    path("rate-preview/", rate_preview.rate_preview, name="rate-preview"),
    path("metering/readings/", readings.reading, name="metering-reading"),
    path("events/", events.events, name="events"),
    path("events/<int:event_id>/", events.event, name="event"),
    path("events/<int:event_id>/cancel/", events.cancel, name="event-cancel"),
    path("events/<int:event_id>/measure/", events.measure, name="event-measure"),
    path("events/<int:event_id>/offers/<int:offer_id>/", events.event_offer, name="event-offer"),
    path("programs/<slug:code>/rules/", events.program_rules, name="program-rules"),
    path(
        "programs/<slug:code>/settings/",
        program_settings.program_settings,
        name="program-settings",
    ),
    path("settlement/runs/", settlement.runs, name="settlement-runs"),
    path("settlement/runs/<int:run_id>/export/", settlement.export, name="settlement-export"),
    path(
        "settlement/runs/<int:run_id>/reproduce/",
        settlement.reproduce,
        name="settlement-reproduce",
    ),
    path("settlement/statements/", settlement.queue, name="settlement-queue"),
    path(
        "settlement/statements/<int:statement_id>/",
        settlement.statement,
        name="settlement-statement",
    ),
    path(
        "settlement/statements/<int:statement_id>/lines/<int:number>/",
        settlement.line,
        name="settlement-line",
    ),
    path("payouts/", payouts.payouts, name="payouts"),
    path("payouts/reconciliation/", payouts.reconciliation_page, name="payouts-reconciliation"),
    path("payouts/tax-totals.csv", payouts.tax_totals, name="payouts-tax-totals"),
]
