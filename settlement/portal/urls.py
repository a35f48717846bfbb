"""Routes of the owner portal."""

from django.urls import path, re_path

from settlement.portal import (
    energy,
    fleet,
    notifications,
    offers,
    payouts,
    standing,
    statements,
    views,
)

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("energy/", energy.energy, name="energy"),
    path("fleet/<int:participant_id>/", fleet.fleet, name="fleet"),
    path("fleet/<int:participant_id>/invite/", fleet.invite, name="fleet-invite"),
    path(
        "fleet/<int:participant_id>/members/<int:membership_id>/role/",
        fleet.change_role,
        name="fleet-role",
    ),
    path(
        "fleet/<int:participant_id>/members/<int:membership_id>/remove/",
        fleet.remove,
        name="fleet-remove",
    ),
    path("offers/", offers.offers, name="offers"),
    path("offers/<int:offer_id>/accept/", offers.accept, name="offer-accept"),
    path("offers/<int:offer_id>/decline/", offers.decline, name="offer-decline"),
    path("offers/<int:offer_id>/calendar.ics", notifications.offer_calendar, name="offer-calendar"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.read_all, name="notifications-read"),
    path(
        "notifications/<int:notification_id>/open/",
        notifications.open_notification,
        name="notification-open",
    ),
    path("notifications/preferences/", notifications.preferences, name="notification-preferences"),
    path("offers/<int:offer_id>/answers/", offers.answers, name="offer-answers"),
    path("answers/", standing.standing_answers, name="standing-answers"),
    path("answers/new/<int:participant_id>/", standing.create, name="standing-answer-create"),
    path("answers/<int:rule_id>/", standing.edit, name="standing-answer"),
    path("answers/<int:rule_id>/disable/", standing.disable, name="standing-answer-disable"),
    path("answers/battery/<int:charger_id>/", standing.set_battery, name="battery"),
    path("statements/", statements.statements, name="statements"),
    path("statements/<int:statement_id>/", statements.statement, name="statement"),
    # Only the formats there are: any other extension is a page that does not exist.
    re_path(
        r"^statements/(?P<statement_id>[0-9]+)/download\.(?P<document_format>pdf|csv)$",
        statements.download,
        name="statement-download",
    ),
    path("payouts/", payouts.payouts, name="payouts"),
    path("payouts/accounts/<int:participant_id>/", payouts.account_state, name="payout-account"),
    path("payouts/accounts/<int:participant_id>/connect/", payouts.connect, name="payout-connect"),
    path(
        "payouts/accounts/<int:participant_id>/return/",
        payouts.onboarding_return,
        name="payout-onboarding-return",
    ),
    path(
        "payouts/accounts/<int:participant_id>/refresh/",
        payouts.onboarding_refresh,
        name="payout-onboarding-refresh",
    ),
]
