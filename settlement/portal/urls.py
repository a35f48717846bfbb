"""Routes of the owner portal."""

from django.urls import path

from settlement.portal import statements, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("statements/", statements.statements, name="statements"),
    path("statements/<int:statement_id>/", statements.statement, name="statement"),
]
