"""Routes of /api/v1/."""

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from settlement.api import rate_preview, views

app_name = "api"

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("auth/token/", obtain_auth_token, name="token"),
    path("me/", views.MeView.as_view(), name="me"),
    path(
        "staff/participants/", views.StaffParticipantListView.as_view(), name="staff-participants"
    ),
    path(
        "staff/rate-preview/",
        rate_preview.RatePreviewView.as_view(),
        name="staff-rate-preview",
    ),
]
