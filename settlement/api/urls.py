"""Routes of /api/v1/."""

from django.urls import path

from settlement.api import (
    events,
    metering,
    notifications,
    offers,
    payouts,
    program_settings,
    rate_preview,
    readings,
    sign_in,
    standing_rules,
    statements,
    views,
)

app_name = "api"

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("auth/token/", sign_in.TokenView.as_view(), name="token"),
    path("me/", views.MeView.as_view(), name="me"),
    path(
        "staff/participants/", views.StaffParticipantListView.as_view(), name="staff-participants"
    ),
    path(
        "staff/rate-preview/",
        rate_preview.RatePreviewView.as_view(),
        name="staff-rate-preview",
    ),
    path("metering/uploads/", metering.UploadListView.as_view(), name="metering-uploads"),
    path(
        "metering/uploads/<int:upload_id>/",
        metering.UploadDetailView.as_view(),
        name="metering-upload",
    ),
    path(
        "metering/uploads/<int:upload_id>/report/",
        metering.UploadReportView.as_view(),
        name="metering-upload-report",
    ),
    path(
        "metering/uploads/<int:upload_id>/file/",
        metering.UploadFileView.as_view(),
        name="metering-upload-file",
    ),
    path("metering/batches/", metering.BatchView.as_view(), name="metering-batches"),
    path("stripe/webhooks/", payouts.StripeWebhookView.as_view(), name="stripe-webhooks"),
    path("payouts/", payouts.PayoutListView.as_view(), name="payouts"),
    path("payouts/<int:payout_id>/", payouts.PayoutDetailView.as_view(), name="payout"),
    path(
        "staff/metering/readings/",
        readings.ReadingHistoryView.as_view(),
        name="staff-metering-reading",
    ),
    path(
        "staff/programs/<slug:code>/settings/",
        program_settings.ProgramSettingsView.as_view(),
        name="staff-program-settings",
    ),
    path(
        "staff/programs/<slug:code>/settings/settlement/",
        program_settings.ThresholdsView.as_view(),
        name="staff-program-settings-settlement",
    ),
    path(
        "staff/programs/<slug:code>/settings/payout/",
        program_settings.PayoutSettingsView.as_view(),
        name="staff-program-settings-payout",
    ),
    path(
        "staff/programs/<slug:code>/settings/metering/",
        program_settings.MeteringSettingsView.as_view(),
        name="staff-program-settings-metering",
    ),
    path("staff/runs/", statements.RunListView.as_view(), name="staff-runs"),
    path("staff/runs/<int:run_id>/", statements.RunDetailView.as_view(), name="staff-run"),
    path(
        "staff/runs/<int:run_id>/reproduce/",
        statements.RunReproduceView.as_view(),
        name="staff-run-reproduce",
    ),
    path(
        "staff/runs/<int:run_id>/export/",
        statements.RunExportView.as_view(),
        name="staff-run-export",
    ),
    path("staff/statements/", statements.StatementListView.as_view(), name="staff-statements"),
    path(
        "staff/statements/approve-clean/",
        statements.ApproveCleanView.as_view(),
        name="staff-statements-approve-clean",
    ),
    path(
        "staff/statements/<int:statement_id>/",
        statements.StatementDetailView.as_view(),
        name="staff-statement",
    ),
    path(
        "staff/statements/<int:statement_id>/approve/",
        statements.ApproveView.as_view(),
        name="staff-statement-approve",
    ),
    path(
        "staff/statements/<int:statement_id>/hold/",
        statements.HoldView.as_view(),
        name="staff-statement-hold",
    ),
    path(
        "staff/statements/<int:statement_id>/void/",
        statements.VoidView.as_view(),
        name="staff-statement-void",
    ),
    path(
        "staff/statements/<int:statement_id>/release/",
        statements.ReleaseView.as_view(),
        name="staff-statement-release",
    ),
    path("statements/", statements.OwnerStatementListView.as_view(), name="statements"),
    path(
        "statements/<int:statement_id>/",
        statements.OwnerStatementDetailView.as_view(),
        name="statement",
    ),
    path("offers/", offers.OfferListView.as_view(), name="offers"),
    path("offers/<int:offer_id>/", offers.OfferDetailView.as_view(), name="offer"),
    path("offers/<int:offer_id>/accept/", offers.OfferAcceptView.as_view(), name="offer-accept"),
    path("offers/<int:offer_id>/decline/", offers.OfferDeclineView.as_view(), name="offer-decline"),
    path(
        "offers/<int:offer_id>/calendar.ics",
        notifications.OfferCalendarView.as_view(),
        name="offer-calendar",
    ),
    path("notifications/", notifications.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/unread-count/",
        notifications.UnreadCountView.as_view(),
        name="notifications-unread",
    ),
    path("notifications/read/", notifications.MarkReadView.as_view(), name="notifications-read"),
    path(
        "notifications/preferences/",
        notifications.PreferencesView.as_view(),
        name="notification-preferences",
    ),
    path(
        "offers/<int:offer_id>/answers/",
        standing_rules.OfferAnswersView.as_view(),
        name="offer-answers",
    ),
    path("standing-rules/", standing_rules.StandingRuleListView.as_view(), name="standing-rules"),
    path(
        "standing-rules/<int:rule_id>/",
        standing_rules.StandingRuleDetailView.as_view(),
        name="standing-rule",
    ),
    path(
        "standing-rules/<int:rule_id>/disable/",
        standing_rules.StandingRuleDisableView.as_view(),
        name="standing-rule-disable",
    ),
    path(
        "chargers/<int:charger_id>/battery/",
        standing_rules.BatteryView.as_view(),
        name="charger-battery",
    ),
    path("staff/events/", events.EventListView.as_view(), name="staff-events"),
    path("staff/events/<int:event_id>/", events.EventDetailView.as_view(), name="staff-event"),
    path(
        "staff/events/<int:event_id>/modify/",
        events.EventModifyView.as_view(),
        name="staff-event-modify",
    ),
    path(
        "staff/events/<int:event_id>/cancel/",
        events.EventCancelView.as_view(),
        name="staff-event-cancel",
    ),
    path(
        "staff/events/<int:event_id>/results/",
        events.EventResultsView.as_view(),
        name="staff-event-results",
    ),
]
