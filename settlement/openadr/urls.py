"""Routes of the VTN under /openadr3/3.1.0/ (paths as in openadr3.yaml, no trailing slash).

3.1.0 has resources only at the top level (`resources?venID=`); 3.0's
`vens/{venID}/resources` is gone, so it is a 404 problem like any other unknown path.
"""

from django.urls import path, re_path

from settlement.openadr.views import auth, events, programs, reports, subscriptions, vens
from settlement.openadr.views.notifiers import BusinessLogicTopics, Notifiers, VenTopics
from settlement.openadr.views.unknown import Unknown

app_name = "openadr"

urlpatterns = [
    path("auth/server", auth.AuthServer.as_view(), name="auth-server"),
    path("auth/token", auth.Token.as_view(), name="token"),
    path("programs", programs.Programs.as_view(), name="programs"),
    path("programs/<str:program_id>", programs.Program.as_view(), name="program"),
    path("events", events.Events.as_view(), name="events"),
    path("events/<str:event_id>", events.Event.as_view(), name="event"),
    path("reports", reports.Reports.as_view(), name="reports"),
    path("reports/<str:report_id>", reports.ReportDetail.as_view(), name="report"),
    path("subscriptions", subscriptions.Subscriptions.as_view(), name="subscriptions"),
    path(
        "subscriptions/<str:subscription_id>",
        subscriptions.SubscriptionDetail.as_view(),
        name="subscription",
    ),
    path("vens", vens.Vens.as_view(), name="vens"),
    path("vens/<str:ven_id>", vens.VenDetail.as_view(), name="ven"),
    path("resources", vens.Resources.as_view(), name="resources"),
    path("resources/<str:resource_id>", vens.ResourceDetail.as_view(), name="resource"),
    path("notifiers", Notifiers.as_view(), name="notifiers"),
    *[
        path(f"notifiers/mqtt/topics/{route}", BusinessLogicTopics.as_view(base=base))
        for route, base in (
            ("programs", "programs"),
            ("events", "events"),
            ("reports", "reports"),
            ("subscriptions", "subscriptions"),
            ("vens", "vens"),
            ("resources", "resources"),
            ("programs/<str:program_id>/events", "events/programs/{program}"),
        )
    ],
    path(
        "notifiers/mqtt/topics/programs/<str:program_id>",
        BusinessLogicTopics.as_view(base="programs/{program}"),
    ),
    path(
        "notifiers/mqtt/topics/vens/<str:ven_id>",
        VenTopics.as_view(base="vens/{ven}"),
    ),
    *[
        path(f"notifiers/mqtt/topics/vens/<str:ven_id>/{kind}", VenTopics.as_view(base=base))
        for kind, base in (
            ("events", "events/vens/{ven}"),
            ("programs", "programs/vens/{ven}"),
            ("resources", "resources/vens/{ven}"),
        )
    ],
    # Anything else under the prefix is a problem too, never the site's HTML 404 page.
    re_path(r"^.*$", Unknown.as_view(), name="unknown"),
]
