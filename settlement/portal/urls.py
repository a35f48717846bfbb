"""Routes of the owner portal."""

from django.urls import path

from settlement.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
]
