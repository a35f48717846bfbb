"""Every page of the service in Chromium at 1280 and 390 px: the portal's (owner and fleet
manager), the staff area's, the sign-in and password pages and the API docs.

Each is checked by `page_checks`: axe-core finds nothing serious or critical, nothing
scrolls sideways, no Content-Security-Policy violation, a favicon that loads and the one
shared stylesheet. The data comes from the shared fixtures so each page has something to
show: statements (released, approved, negative, a settled run), a payout, an upload, an
event with its offers, a fleet. Screenshots land in var/browser-artifacts/every-*.png.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import operations as account_operations
from accounts.models import Membership
from settlement.events.models import DispatchEvent
from settlement.metering.models import Upload
from settlement.statements.models import SettlementRun, Statement
from tests.browser.conftest import sign_in
from tests.browser.page_checks import Checked
from tests.event_fixtures import (
    Owner,
    add_hours,
    dispatch,
    incremental_rules,
    local_hour,
    program_with,
)
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    SiteFactory,
    UserFactory,
)
from tests.portal_fixtures import owner_with_statements
from tests.settlement_fixtures import (
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
    run_command,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_in_process"),
]

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def _today() -> dt.date:
    return timezone.now().astimezone(LOS_ANGELES).date()


def _report(*checked: Checked) -> str:
    """Every problem on its own line (pytest would cut a long comparison short)."""
    return "\n".join(problem for each in checked for problem in each.problems)


def _fleet(program: Any) -> Any:
    """A district managed by fleet@district.example.org: two buses, one exporting today."""
    participant = ParticipantFactory(name="Valley School District", kind="ORGANIZATION")
    manager = UserFactory(email="fleet@district.example.org")
    MembershipFactory(user=manager, participant=participant, role=Membership.Role.MANAGER)
    viewer = UserFactory(email="viewer@district.example.org")
    MembershipFactory(user=viewer, participant=participant, role=Membership.Role.VIEWER)
    site = SiteFactory(participant=participant, timezone="America/Los_Angeles")
    EnrollmentFactory(
        participant=participant, site=site, program=program, starts_on=dt.date(2020, 1, 1)
    )
    for external_id, name in (("BUS-7", "Route 12"), ("BUS-9", "")):
        charger = ChargerFactory(
            site=site, external_id=external_id, name=name, max_discharge_kw=Decimal(60)
        )
        export = ChannelFactory(
            site=site, meter_id=f"SM-{external_id}", kind="EVSE_EXPORT", charger=charger
        )
        if external_id == "BUS-7":
            add_hours(export, [(local_hour(_today(), 0), 1000), (local_hour(_today(), 1), 2000)])
    return participant


def _event_program() -> tuple[Any, DispatchEvent]:
    """The event program with two owners offered an event two days from now."""
    program = program_with(incremental_rules())
    Owner(program, email="ben@example.com")
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    event = dispatch(program, starts, starts + dt.timedelta(hours=2), now=timezone.now())
    return program, event


def test_every_signed_out_page_is_clean(live_server, browser):
    checked = Checked(browser.new_context().new_page(), prefix="every-")
    url = live_server.url

    checked.visit(f"{url}/accounts/login/", "sign-in")
    checked.visit(f"{url}/accounts/login/?next=/statements/", "sign-in-next")
    checked.visit(f"{url}/accounts/password_reset/", "password-reset")
    checked.visit(f"{url}/accounts/password_reset/done/", "password-reset-sent")
    checked.visit(f"{url}/accounts/reset/MQ/not-a-token/", "password-reset-bad-link")
    checked.visit(f"{url}/accounts/reset/done/", "password-reset-complete")
    checked.visit(f"{url}/no-such-page/", "not-found-signed-out", status=404)
    checked.visit(f"{url}/api/docs/", "api-docs", ready=".opblock-summary-path")

    assert not checked.problems, _report(checked)


def test_a_sign_in_refused_then_locked_out_is_clean(live_server, browser):
    """The sign-in page answering a wrong password (an alert, the address kept), then the
    page after too many wrong passwords (django-axes' lockout, five tries)."""
    UserFactory(email="ana@example.com")
    checked = Checked(browser.new_context().new_page(), prefix="every-")
    page = checked.page

    def wrong_password() -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "ana@example.com")
        page.fill("#id_password", "not the password")
        page.click("button[type=submit]")

    wrong_password()
    page.wait_for_selector("[role=alert]")
    assert page.input_value("#id_username") == "ana@example.com"
    assert page.get_attribute("#id_username", "aria-invalid") == "true"
    checked.check_here("sign-in-refused")
    for _ in range(4):
        wrong_password()
    page.wait_for_selector("#locked-out")
    checked.check_here("sign-in-locked-out")

    assert not checked.problems, _report(checked)


def test_the_set_password_page_of_an_invitation_is_clean(live_server, browser):
    """The page an invitation's link opens (a valid link): choose a password, twice."""
    user = UserFactory(email="new@example.com")
    link = (
        f"{live_server.url}/accounts/reset/{urlsafe_base64_encode(force_bytes(user.pk))}/"
        f"{default_token_generator.make_token(user)}/"
    )
    checked = Checked(browser.new_context().new_page(), prefix="every-")
    checked.page.goto(link)
    # Django moves the token out of the address into the session, then shows the form.
    checked.page.wait_for_selector("#id_new_password1")
    checked.check_here("password-set")
    checked.page.fill("#id_new_password1", "short")
    checked.page.fill("#id_new_password2", "different")
    checked.page.click("button[type=submit]")
    checked.page.wait_for_selector("[role=alert]")
    checked.check_here("password-set-refused")

    assert not checked.problems, _report(checked)


def test_every_owner_page_is_clean(live_server, browser):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    event_program, _ = _event_program()
    # Ana's site is also enrolled in the event program, so she has an open offer to see.
    ana_event = Owner(event_program, email="ana-ev@example.com")
    MembershipFactory(user=owner.user, participant=ana_event.participant)
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    event = dispatch(event_program, starts, starts + dt.timedelta(hours=2), now=timezone.now())
    offer = event.offers.get(participant=ana_event.participant)
    checked = Checked(sign_in(browser, live_server, "ana@example.com"), prefix="every-owner-")
    url = live_server.url
    pages = {
        "dashboard": "/",
        "statements": "/statements/",
        "statement": f"/statements/{owner.last.pk}/",
        "statement-negative": f"/statements/{owner.correction.pk}/",
        "energy": "/energy/",
        "offers": "/offers/",
        "offer-decline": f"/offers/{offer.pk}/decline/",
        "offer-answers": f"/offers/{offer.pk}/answers/",
        "standing-answers": "/answers/",
        "notifications": "/notifications/",
        "payouts": "/payouts/",
        "payout-account": f"/payouts/accounts/{owner.participant.pk}/",
        "fleet": f"/fleet/{owner.participant.pk}/",
    }
    for name, path in pages.items():
        checked.visit(f"{url}{path}", name)
    checked.visit(f"{url}/statements/999999/", "not-found", status=404)

    assert not checked.problems, _report(checked)


def test_every_fleet_page_is_clean(live_server, browser):
    program = program_with(incremental_rules(channel_kind="EVSE_EXPORT"), code="fleet")
    district = _fleet(program)
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    dispatch(program, starts, starts + dt.timedelta(hours=2), now=timezone.now())
    url = live_server.url
    pages = {
        "dashboard": "/",
        "fleet": f"/fleet/{district.pk}/",
        "offers": "/offers/",
        "energy": "/energy/",
        "statements": "/statements/",
        "payouts": "/payouts/",
    }
    manager = Checked(
        sign_in(browser, live_server, "fleet@district.example.org"), prefix="every-fleet-"
    )
    for name, path in pages.items():
        manager.visit(f"{url}{path}", name)
    viewer = Checked(
        sign_in(browser, live_server, "viewer@district.example.org"), prefix="every-viewer-"
    )
    for name in ("fleet", "offers"):
        viewer.visit(f"{url}{pages[name]}", name)

    assert not manager.problems + viewer.problems, _report(manager, viewer)


def test_every_staff_page_is_clean(live_server, browser, tmp_path):
    groups = account_operations.ensure_staff_roles()
    staff = UserFactory(email="ops@utility.example.com", is_staff=True)
    staff.groups.add(*groups.values())
    # A settled run: 3 July days; 3 x 5 x 2.000 kWh x 0.30 + 3 x 19 x 0.100 kWh x 0.05.
    olivia, _ = enroll(make_program(), "o@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", dt.date(2025, 7, 1), 3, peak_or_off_peak(2000, 100)))
    code, _ = run_command(
        "settle", "--program", "nbt-export", "--period", "2025-07", "--as", staff.email
    )
    assert code == 0
    run = SettlementRun.objects.get(program__code="nbt-export")
    settled = Statement.objects.get(participant=olivia)
    owner_with_statements(email="ana@example.com", today=_today())
    event_program, event = _event_program()
    offer = event.offers.first()
    upload = Upload.objects.filter(original_name="readings.csv").first() or Upload.objects.first()
    run_command("create_openadr_client", "--name", "Utility head-end", "--role", "bl")

    checked = Checked(sign_in(browser, live_server, staff.email), prefix="every-staff-")
    url = live_server.url
    pages = {
        "home": "/staff/",
        "members": "/staff/members/",
        "uploads": "/staff/metering/uploads/",
        "upload": f"/staff/metering/uploads/{upload.pk}/",
        "reading-form": "/staff/metering/readings/",
        "reading": (
            "/staff/metering/readings/?meter=RM-1&kind=SITE_EXPORT"
            "&start=2025-07-01T17%3A00%3A00-07%3A00"
        ),
        "rate-preview": "/staff/rate-preview/",
        "rate-preview-priced": (
            "/staff/rate-preview/?tariff=nbt-export-tou&meter=RM-1"
            "&start=2025-07-01&end=2025-07-04&channel_kind="
        ),
        "rate-preview-errors": "/staff/rate-preview/?tariff=nope&meter=&start=July&end=",
        "events": "/staff/events/",
        "event": f"/staff/events/{event.pk}/",
        "event-offer": f"/staff/events/{event.pk}/offers/{offer.pk}/",
        "program-rules": f"/staff/programs/{event_program.code}/rules/",
        "program-settings": "/staff/programs/nbt-export/settings/",
        "runs": "/staff/settlement/runs/",
        "run-reproduced": f"/staff/settlement/runs/{run.pk}/reproduce/",
        "queue": "/staff/settlement/statements/",
        "queue-all": "/staff/settlement/statements/?state=",
        "statement": f"/staff/settlement/statements/{settled.pk}/",
        "line": f"/staff/settlement/statements/{settled.pk}/lines/1/",
        "payouts": "/staff/payouts/",
        "reconciliation": "/staff/payouts/reconciliation/",
        "openadr-clients": "/staff/openadr/clients/",
    }
    for name, path in pages.items():
        checked.visit(f"{url}{path}", name)
    # Django's admin, linked from every staff page: its own style sheets, the same checks.
    admin = {
        "admin": "/admin/",
        "admin-participants": "/admin/accounts/participant/",
        "admin-participant-add": "/admin/accounts/participant/add/",
    }
    for name, path in admin.items():
        checked.visit(f"{url}{path}", name, shared_style=False)

    assert not checked.problems, _report(checked)
