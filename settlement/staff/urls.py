"""Routes of the staff area."""

from django.urls import path

from settlement.staff import metering, payouts, rate_preview, readings, views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("metering/uploads/", metering.uploads, name="metering-uploads"),
    path("metering/uploads/<int:upload_id>/", metering.upload_detail, name="metering-upload"),
    path("rate-preview/", rate_preview.rate_preview, name="rate-preview"),
    path("metering/readings/", readings.reading, name="metering-reading"),
    path("payouts/", payouts.payouts, name="payouts"),
    path("payouts/reconciliation/", payouts.reconciliation_page, name="payouts-reconciliation"),
    path("payouts/tax-totals.csv", payouts.tax_totals, name="payouts-tax-totals"),
]
