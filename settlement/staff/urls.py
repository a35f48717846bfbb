"""Routes of the staff area."""

from django.urls import path

from settlement.staff import rate_preview, views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("rate-preview/", rate_preview.rate_preview, name="rate-preview"),
]
