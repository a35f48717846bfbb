"""Routes of the staff area."""

from django.urls import path

from settlement.staff import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
]
