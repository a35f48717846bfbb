"""Top-level routes: portal, staff area, admin, auth, API and its schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from settlement.portal import passwords

urlpatterns = [
    path("", include("settlement.portal.urls")),
    path("staff/openadr/", include("settlement.openadr.staff_urls")),
    path("staff/", include("settlement.staff.urls")),
    path("admin/", admin.site.urls),
    # Before Django's own routes, which they replace (same names).
    path("accounts/password_reset/", passwords.reset, name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", passwords.confirm, name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("settlement.api.urls")),
    path("openadr3/3.1.0/", include("settlement.openadr.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

# Under /api/ these answer the one JSON error shape; elsewhere the app's pages.
handler400 = "config.error_pages.bad_request"
handler403 = "config.error_pages.permission_denied"
handler404 = "config.error_pages.page_not_found"
handler500 = "config.error_pages.server_error"
