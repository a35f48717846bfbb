"""The operator's month, played in Chromium from an empty database (issue 19).

No `manage.py shell` and no `seed_demo`: the first program administrator comes from
`create_staff` (docs/operations.md), and everything after is a page, or one of the
operator commands docs/operations.md names where no page exists (`import_enrollments`,
`import_tariff`, `run_payouts`, `export_bill_credits`), run with `call_command` as an
operator runs them. Program `elrp-v2g` pays September 2025 exports at a flat $0.10000/kWh
and an emergency event's incremental energy at the event's $2.00/kWh; its payouts are bill
credits (the payout method that needs no Stripe keys).

The clock is the server's: `django.utils.timezone.now` answers the journey's instant (the
live server runs in this process), moved forward as the month goes on: 1 September (set
up), 22 September (dispatch, owner accepts), 2 October (meter data, measure, settle,
review, release), 3 October (payouts, bill credits, tax totals).

Money, worked by hand:

- Ana (individual, meter RM-1) exports 500 Wh every hour of September (30 days x 24 h =
  720 hours), except the event's two hours, Wednesday 24 September 17:00 and 18:00 PDT,
  when she exports 8,000 and 9,000 Wh.
  Exports: 718 x 500 + 8,000 + 9,000 = 359,000 + 17,000 = 376,000 Wh = 376 kWh;
  x $0.10000 = **$37.60**.
  Event: the baseline is the 10 weekdays before the 24th (10-12, 15-19, 22-23 September),
  each -500 Wh net load at 17:00 and 18:00 (no import channel: net = 0 - 500); actual net
  -8,000 and -9,000; incremental (-500 + 8,000) + (-500 + 9,000) = 7,500 + 8,500 =
  16,000 Wh = 16 kWh; x $2.00 = **$32.00**. Total **$69.60**: above the review cap ($50.00,
  flagged for review) and the two-approver amount ($60.00): two approvers.
- Pine Valley School District (organization, RM-2) exports 250 Wh every hour and does not
  answer the offer: 720 x 250 = 180,000 Wh = 180 kWh x $0.10000 = **$18.00**; no event
  amount (only accepted offers are paid). Below both thresholds: one approver.
- Payouts (minimum $10.00): 6,960 + 1,800 = **8,760 cents** in bill credits, paid when the
  utility confirms the file; tax totals for 2025: Ana 6,960 on 1099-MISC, the district
  1,800 on the organizations' form, NONE.
"""

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from settlement.payouts.models import Payout
from settlement.statements.models import Statement
from tests.browser.page_checks import problems_at_both_widths

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_in_process"),
]

PASSWORD = "a-long-journey-passphrase"
ADMIN = "admin@utility.example.com"
REVIEWER = "riley@utility.example.com"
APPROVERS = ("avery@utility.example.com", "blake@utility.example.com")
ANA = "ana@example.com"
DISTRICT = "fleet@pinevalley.example.org"
PROGRAM = "elrp-v2g"
PDT = dt.timezone(dt.timedelta(hours=-7))

ENROLLMENTS = f"""\
participant_email,participant_name,participant_kind,program_code,site_account,site_timezone,meter_id,channel_kind,charger_id,charger_max_kw,enrollment_start
{ANA},Ana Alvarez,INDIVIDUAL,{PROGRAM},ACC-1,America/Los_Angeles,RM-1,SITE_EXPORT,,,2025-08-01
{DISTRICT},Pine Valley School District,ORGANIZATION,{PROGRAM},ACC-2,America/Los_Angeles,RM-2,SITE_EXPORT,,,2025-08-01
"""

# A flat export price, every hour of the year: one period, 0-based, in both schedules.
FLAT_TARIFF = {
    "items": [
        {
            "label": "journey-flat-export",
            "utility": "Pacific Test Electric",
            "name": "Flat export credit",
            "sector": "Residential",
            "startdate": 1735718400,  # 2025-01-01 08:00 UTC, midnight in Los Angeles
            "dgrules": "Net Billing Instantaneous",
            "energyratestructure": [[{"rate": 0.30000, "unit": "kWh", "sell": 0.10000}]],
            "energyweekdayschedule": [[0] * 24 for _ in range(12)],
            "energyweekendschedule": [[0] * 24 for _ in range(12)],
        }
    ]
}

EVENT_RULES = [
    {
        "name": "event-incremental",
        "kind": "EVENT_INCREMENTAL",
        "parameters": {
            "channel_kind": "SITE_EXPORT",
            "price_per_kwh": None,
            "baseline": {
                "method": "X_OF_Y",
                "weekday": {"days": 10, "of_days": 10, "min_days": 10},
                "weekend_holiday": {"days": 4, "of_days": 4, "min_days": 4},
                "max_incomplete_share": "0.10",
                "lookback_days": 45,
            },
            "adjustment": None,
            "negative_hours": "ZERO",
            "per_event_cap": "500.00",
            "holidays": "PGE",
        },
    },
    {
        "name": "event-constraints",
        "kind": "EVENT_CONSTRAINTS",
        "parameters": {
            "season_months": [5, 6, 7, 8, 9, 10],
            "earliest_start": "16:00",
            "latest_end": "21:00",
            "min_duration_minutes": 60,
            "max_duration_minutes": 300,
            "yearly_hour_cap": 60,
        },
    },
]

# The staff pages the journey checks and screenshots, in the order it visits them.
PAGES = (
    "staff-members",
    "home",
    "program-rules",
    "program-settings",
    "event-dispatched",
    "events",
    "upload",
    "uploads",
    "event-measured",
    "run",
    "runs",
    "queue",
    "statement",
    "statement-line",
    "statement-released",
    "payouts",
)

EVENT_HOURS = {
    dt.datetime(2025, 9, 24, 17, tzinfo=PDT): 8000,
    dt.datetime(2025, 9, 24, 18, tzinfo=PDT): 9000,
}


def meter_file(meter: str, export_wh: int, event_wh: dict[dt.datetime, int]) -> str:
    """Return September 2025 (all PDT) hour by hour for one meter, canonical CSV."""
    rows = ["meter_id,start,end,export_wh,import_wh,quality"]
    start = dt.datetime(2025, 9, 1, tzinfo=PDT)
    for hour in range(30 * 24):
        at = start + dt.timedelta(hours=hour)
        rows.append(
            f"{meter},{at.isoformat()},{(at + dt.timedelta(hours=1)).isoformat()},"
            f"{event_wh.get(at, export_wh)},,ACTUAL"
        )
    return "\n".join(rows) + "\n"


class Clock:
    """The server's `timezone.now`, set by the journey."""

    def __init__(self) -> None:
        self.at = timezone.now()

    def set(self, local: dt.datetime) -> None:
        self.at = local.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock.now)
    yield clock


@pytest.fixture
def links_to_live_server(live_server, settings) -> None:
    settings.SITE_URL = live_server.url


class Journey:
    """The browser, the live server and the page checks every staff page gets."""

    def __init__(self, browser, live_server, screenshot, tmp_path: Path) -> None:
        self.browser = browser
        self.url = live_server.url
        self.screenshot = screenshot
        self.tmp_path = tmp_path
        self.problems: list[str] = []
        self.shots: list[Path] = []

    def new_page(self):
        return self.browser.new_context(accept_downloads=True).new_page()

    def sign_in(self, email: str):
        page = self.new_page()
        page.goto(f"{self.url}/accounts/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", PASSWORD)
        submit(page, "button[type=submit]")
        assert "/accounts/login/" not in page.url, f"{email} could not sign in"
        return page

    def set_password_from(self, email: str) -> None:
        """Follow the last invitation sent to `email` and set the journey's password."""
        (invitation, *_) = [m for m in reversed(mail.outbox) if email in m.to]
        link = re.search(rf"{re.escape(self.url)}/accounts/reset/\S+", str(invitation.body))
        assert link is not None, invitation.body
        page = self.new_page()
        page.goto(link.group(0))
        assert page.inner_text("h1") == "Set your password"
        page.fill("#id_new_password1", PASSWORD)
        page.fill("#id_new_password2", PASSWORD)
        submit(page, "button[type=submit]")
        page.context.close()

    def check(self, page, name: str) -> None:
        """Screenshot at 1280 and 390 px; no sideways scroll and nothing serious or critical
        for axe at either width, a favicon and the shared style sheet (tests/browser/page_checks)."""
        self.shots += self.screenshot(page, f"journey-{name}")
        self.problems += problems_at_both_widths(page, name)


def submit(page, selector: str) -> None:
    """Click what submits a form (or follows a link) and wait for the page it loads."""
    with page.expect_navigation():
        page.click(selector)


def _command(name: str, *args: str) -> dict:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def journey(live_server, browser, screenshot, tmp_path) -> Journey:
    return Journey(browser, live_server, screenshot, tmp_path)


def test_an_operator_runs_a_month_from_an_empty_database(
    journey: Journey, clock: Clock, links_to_live_server, tmp_path: Path
):
    url = journey.url
    assert not Statement.objects.exists()

    # --- 1 September 2025: staff, program, enrollments, tariff, rules, settings ---
    clock.set(dt.datetime(2025, 9, 1, 9, tzinfo=PDT))
    created = _command("create_staff", "--email", ADMIN, "--role", "program_admin")
    assert created == {
        "email": ADMIN,
        "outcome": "created",
        "roles": ["program_admin"],
        "invited": True,
    }
    journey.set_password_from(ADMIN)
    admin = journey.sign_in(ADMIN)

    admin.goto(f"{url}/staff/members/")
    for email, role in (
        (REVIEWER, "reviewer"),
        (APPROVERS[0], "approver"),
        (APPROVERS[1], "approver"),
    ):
        admin.fill("#id_email", email)
        admin.check(f"input[name=roles][value={role}]")
        submit(admin, "text=Save staff member")
        assert f"{email}: created and invited to set a password" in admin.content()
    journey.check(admin, "staff-members")
    for email in (REVIEWER, *APPROVERS):
        journey.set_password_from(email)

    # The program, in the admin (a program administrator may add programs there).
    admin.goto(f"{url}/admin/accounts/program/add/")
    admin.fill("#id_code", PROGRAM)
    admin.fill("#id_name", "Emergency load reduction, V2G")
    admin.fill("#id_utility", "Pacific Test Electric")
    admin.fill("#id_timezone", "America/Los_Angeles")
    submit(admin, "input[name=_save]")
    assert "was added successfully" in admin.content()

    enrollments = tmp_path / "enrollments.csv"
    enrollments.write_text(ENROLLMENTS, encoding="utf-8")
    imported = _command("import_enrollments", str(enrollments))
    assert (imported["created"], imported["rejected"]) == (2, 0), imported
    tariff = tmp_path / "flat.json"
    tariff.write_text(json.dumps(FLAT_TARIFF), encoding="utf-8")
    loaded = _command(
        "import_tariff", str(tariff), "--format", "urdb", "--code", "flat-export",
        "--timezone", "America/Los_Angeles", "--program", PROGRAM,
    )  # fmt: skip
    assert (loaded["outcome"], loaded["effective_from"]) == ("created", "2025-01-01"), loaded

    # The rules page shows the set import_tariff made; the event rules join it.
    admin.goto(f"{url}/staff/")
    journey.check(admin, "home")
    submit(admin, f"a:has-text('{PROGRAM}')")
    shown = json.loads(admin.input_value("#id_document"))
    shown["rules"] += EVENT_RULES
    admin.fill("#id_document", json.dumps(shown, indent=2))
    submit(admin, "text=Validate and save")
    assert "Rule set v1: updated." in admin.content()
    journey.check(admin, "program-rules")

    admin.goto(f"{url}/staff/programs/{PROGRAM}/settings/")
    admin.fill("#id_settlement-review_cap", "50.00")
    admin.fill("#id_settlement-two_approver_amount", "60.00")
    submit(admin, "text=Save review thresholds")
    assert f"{PROGRAM} settlement settings: created" in admin.content()
    admin.select_option("#id_payout-method", "BILL_CREDIT")
    admin.fill("#id_payout-minimum_cents", "1000")
    admin.select_option("#id_payout-tax_form", "1099-MISC")
    admin.select_option("#id_payout-organization_tax_form", "NONE")
    submit(admin, "text=Save payout settings")
    assert f"{PROGRAM} payout settings: " in admin.content()
    journey.check(admin, "program-settings")

    # Ana sets her password from the invitation the enrollment import sent.
    journey.set_password_from(ANA)

    # --- Monday 22 September: dispatch Wednesday's event; Ana accepts ---
    clock.set(dt.datetime(2025, 9, 22, 9, tzinfo=PDT))
    admin = journey.sign_in(ADMIN)
    admin.goto(f"{url}/staff/events/")
    admin.select_option("#id_program", PROGRAM)
    admin.fill("#id_start", "2025-09-24T17:00")
    admin.fill("#id_end", "2025-09-24T19:00")
    admin.fill("#id_deadline", "2025-09-23T12:00")
    admin.select_option("#id_kind", "EMERGENCY")
    admin.select_option("#id_signal", "EXPORT_PRICE")
    admin.fill("#id_price", "2.00")
    submit(admin, "form button:has-text('Create')")
    created_event = re.search(r"Event (\d+) created with 2 offers\.", admin.content())
    assert created_event is not None, admin.inner_text("main")
    event_id = int(created_event.group(1))
    journey.check(admin, "event-dispatched")
    admin.goto(f"{url}/staff/events/")
    journey.check(admin, "events")

    ana = journey.sign_in(ANA)
    ana.goto(f"{url}/offers/")
    submit(ana, "form.answer button:has-text('Accept')")
    assert "Accepted" in ana.content()

    # --- Thursday 2 October: September's meter data, measure, settle, review ---
    clock.set(dt.datetime(2025, 10, 2, 10, tzinfo=PDT))
    admin = journey.sign_in(ADMIN)
    for meter, export_wh, event_wh in (("RM-1", 500, EVENT_HOURS), ("RM-2", 250, {})):
        path = tmp_path / f"{meter}-2025-09.csv"
        path.write_text(meter_file(meter, export_wh, event_wh), encoding="utf-8")
        admin.goto(f"{url}/staff/metering/uploads/")
        admin.set_input_files("#id_file", str(path))
        submit(admin, "button:has-text('Upload')")
        assert admin.inner_text("#status") == "PROCESSED", admin.inner_text("main")
        # 720 hours, one row each, all accepted; September from its first local hour.
        assert "720" in admin.inner_text("#progress")
        assert "2025-09-01 00:00 PDT (America/Los_Angeles)" in admin.inner_text("main")
    journey.check(admin, "upload")
    admin.goto(f"{url}/staff/metering/uploads/")
    journey.check(admin, "uploads")

    admin.goto(f"{url}/staff/events/{event_id}/")
    # Ingesting the event's readings measured its deliveries already (issue 21, results the
    # day after); the button measures again and finds nothing changed.
    submit(admin, "button:has-text('Measure deliveries now')")
    assert "Measured: 0 created, 0 recomputed, 2 unchanged" in admin.content(), admin.inner_text(
        "main"
    )
    # Ana: 16 kWh incremental x $2.00 = $32.00; the district answered nothing: $0.00.
    results = admin.inner_text("table.results")
    assert ANA in results and "$32.00" in results, results
    # Delivered (exported) in the event hours: Ana 8,000 + 9,000, the district 2 x 250 Wh.
    assert "17.500 kWh" in admin.inner_text(".totals"), admin.inner_text(".totals")
    journey.check(admin, "event-measured")

    riley = journey.sign_in(REVIEWER)
    riley.goto(f"{url}/staff/settlement/runs/")
    riley.select_option("#id_program", PROGRAM)
    riley.fill("#id_period", "2025-09")
    riley.select_option("#id_type", "initial")
    submit(riley, "button:has-text('Start run')")
    journey.check(riley, "run")
    riley.goto(f"{url}/staff/settlement/runs/")
    runs = riley.inner_text("#runs")
    # The run's total: $69.60 + $18.00 = $87.60, one statement flagged (Ana's, above the cap).
    assert REVIEWER in runs and "$87.60" in runs, runs
    journey.check(riley, "runs")

    ana_statement = Statement.objects.get(participant__email=ANA)
    district_statement = Statement.objects.get(participant__email=DISTRICT)
    # $37.60 of exports + $32.00 for the event; $18.00 of exports.
    assert (str(ana_statement.total), str(district_statement.total)) == ("69.60", "18.00")

    riley.goto(f"{url}/staff/settlement/statements/")
    queue = riley.inner_text("#statements")
    assert ANA in queue and DISTRICT not in queue, queue  # opens on "needs review"
    journey.check(riley, "queue")
    riley.goto(f"{url}/staff/settlement/statements/{ana_statement.pk}/")
    assert riley.inner_text("h1") == f"Statement #{ana_statement.pk}: $69.60"
    lines = [row.split("\t") for row in riley.inner_text("#lines tbody").splitlines()]
    # 376.000 kWh x $0.10000 = $37.60; 16.000 kWh x $2.00 = $32.00.
    assert [(row[1], row[3], row[5]) for row in lines] == [
        ("EXPORT_ENERGY", "376.000 kWh", "$37.60"),
        ("EVENT_INCREMENTAL", "16.000 kWh", "$32.00"),
    ], lines
    # The run was made at 10:00 PDT on 2 October, shown in the program's zone.
    assert "2025-10-02 10:00 PDT" in riley.inner_text("#transitions")
    journey.check(riley, "statement")
    submit(riley, "#lines a:has-text('intervals')")
    journey.check(riley, "statement-line")

    # Two approvers for Ana's $69.60 (from $60.00); one for the district's $18.00.
    for number, email in enumerate(APPROVERS, start=1):
        approver = journey.sign_in(email)
        approver.goto(f"{url}/staff/settlement/statements/{ana_statement.pk}/")
        approver.fill("#reason", f"Exports and the 24 September event check out ({number})")
        submit(approver, "button[value=approve]")
        assert f"approvals {number} of 2" in approver.inner_text("main")
    assert approver.inner_text("#state") == "Approved"
    approver.fill("#reason", "Approved by two; release for payment")
    submit(approver, "button[value=release]")
    assert approver.inner_text("#state") == "Released to payouts"
    journey.check(approver, "statement-released")

    approver.goto(f"{url}/staff/settlement/statements/{district_statement.pk}/")
    approver.fill("#reason", "Clean month of exports")
    submit(approver, "button[value=approve]")
    assert approver.inner_text("#state") == "Approved"
    approver.fill("#reason", "Release for payment")
    submit(approver, "button[value=release]")
    assert approver.inner_text("#state") == "Released to payouts"

    # --- Friday 3 October: payouts as bill credits, the utility's file, tax totals ---
    clock.set(dt.datetime(2025, 10, 3, 8, tzinfo=PDT))
    paid = _command("run_payouts")
    assert (paid["created"], paid["total_cents"]) == (2, 8760), paid
    exported = _command(
        "export_bill_credits", "--program", PROGRAM, "--period", "2025-10",
        "--output", str(tmp_path / "bill-credits.csv"),
    )  # fmt: skip
    assert (exported["rows"], exported["total_cents"]) == (2, 8760), exported
    with (tmp_path / "bill-credits.csv").open(newline="", encoding="utf-8") as file:
        credits = {row["email"]: row for row in csv.DictReader(file)}
    assert {email: (row["amount"], row["utility_accounts"]) for email, row in credits.items()} == {
        ANA: ("69.60", "ACC-1"),
        DISTRICT: ("18.00", "ACC-2"),
    }
    confirmed = _command("export_bill_credits", "--confirm", str(exported["file_id"]))
    assert confirmed == {"file_id": exported["file_id"], "status": "CONFIRMED", "rows": 2,
                         "total_cents": 8760}  # fmt: skip
    assert set(Payout.objects.values_list("status", flat=True)) == {"PAID"}

    admin = journey.sign_in(ADMIN)
    admin.goto(f"{url}/staff/payouts/")
    payouts = admin.inner_text("main")
    assert "$69.60" in payouts and "$18.00" in payouts, payouts
    assert "2025-10-03 08:00 PDT (America/Los_Angeles)" in payouts, payouts  # made at 8:00
    journey.check(admin, "payouts")
    with admin.expect_download() as download:
        admin.click("a:has-text('Tax totals 2025 (CSV)')")
    totals = csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
    # Paid in 2025 by payout date: the bill credits confirmed on 3 October.
    assert [(row["email"], row["tax_form"], row["total_paid"]) for row in totals] == [
        (ANA, "1099-MISC", "69.60"),
        (DISTRICT, "NONE", "18.00"),
    ]

    assert journey.problems == []
    # Every staff page visited, at both widths (var/browser-artifacts/journey-NAME-WIDTH.png).
    assert sorted(path.name for path in journey.shots) == sorted(
        f"journey-{name}-{width}.png" for name in PAGES for width in ("desktop", "phone")
    )


# --- The same month with another program and other data -------------------------------
#
# A school fleet in New York paid for accepted offers on its chargers' sub-meters. The
# program comes from `create_program`, the staff from `create_staff` (the documented
# command path), and the administrator moves the export tariff to the sub-meters on the
# rules page. July 2025 (EDT, UTC-4, 31 days = 744 hours):
#
# - SM-1 (charger CP-1, 60 kW) exports 1,000 Wh every hour but the event's two, Thursday
#   17 July 15:00 and 16:00 EDT, when it exports 30,000 Wh; SM-2 (CP-2, 60 kW) exports only
#   in those two hours, 30,000 Wh each.
#   Exports: (742 x 1,000 + 2 x 30,000) + 2 x 30,000 = 802,000 + 60,000 = 862,000 Wh =
#   862 kWh x $0.05000 = **$43.10**.
#   The offer: the manager commits 40 kW of the site's 120; the cap is 40 kW x 2 h = 80 kWh;
#   delivered in the window 4 x 30,000 Wh = 120 kWh, capped at 80 kWh x $1.50 = **$120.00**.
#   Total **$163.10**: at least the two-approver amount ($150.00).
# - Paid manually (minimum $0.00): 16,310 cents, reported on 1099-NEC (organizations).

EDT = dt.timezone(dt.timedelta(hours=-4))
FLEET = "transport@harbor-schools.example.org"
FLEET_PROGRAM = "nyc-fleet"
FLEET_ENROLLMENTS = f"""\
participant_email,participant_name,participant_kind,program_code,site_account,site_timezone,meter_id,channel_kind,charger_id,charger_max_kw,enrollment_start
{FLEET},Harbor Schools,ORGANIZATION,{FLEET_PROGRAM},NY-ACC-9,America/New_York,SM-1,EVSE_EXPORT,CP-1,60,2025-06-01
{FLEET},Harbor Schools,ORGANIZATION,{FLEET_PROGRAM},NY-ACC-9,America/New_York,SM-2,EVSE_EXPORT,CP-2,60,2025-06-01
"""
FLEET_EVENT = (dt.datetime(2025, 7, 17, 15, tzinfo=EDT), dt.datetime(2025, 7, 17, 16, tzinfo=EDT))


def july_file(meter: str, export_wh: int, event_wh: int) -> str:
    """Return July 2025 (all EDT) hour by hour for one meter, canonical CSV."""
    rows = ["meter_id,start,end,export_wh,import_wh,quality"]
    start = dt.datetime(2025, 7, 1, tzinfo=EDT)
    for hour in range(31 * 24):
        at = start + dt.timedelta(hours=hour)
        wh = event_wh if at in FLEET_EVENT else export_wh
        rows.append(f"{meter},{at.isoformat()},{(at + dt.timedelta(hours=1)).isoformat()},{wh},,")
    return "\n".join(rows) + "\n"


def test_another_program_pays_accepted_offers_on_sub_meters_from_an_empty_database(
    journey: Journey, clock: Clock, links_to_live_server, tmp_path: Path
):
    url = journey.url
    clock.set(dt.datetime(2025, 7, 1, 9, tzinfo=EDT))
    for email, role in (
        (ADMIN, "program_admin"),
        (REVIEWER, "reviewer"),
        (APPROVERS[0], "approver"),
        (APPROVERS[1], "approver"),
    ):
        assert _command("create_staff", "--email", email, "--role", role)["invited"] is True
        journey.set_password_from(email)
    made = _command(
        "create_program", "--code", FLEET_PROGRAM, "--name", "Harbor V2G offers",
        "--utility", "Empire Test Power", "--timezone", "America/New_York",
    )  # fmt: skip
    assert made["outcome"] == "created", made
    enrollments = tmp_path / "fleet.csv"
    enrollments.write_text(FLEET_ENROLLMENTS, encoding="utf-8")
    imported = _command("import_enrollments", str(enrollments))
    assert imported["rejected"] == 0, imported
    tariff = tmp_path / "flat.json"
    cheap = json.loads(json.dumps(FLAT_TARIFF))
    cheap["items"][0]["energyratestructure"] = [[{"rate": 0.2, "unit": "kWh", "sell": 0.05}]]
    cheap["items"][0]["startdate"] = 1735707600  # 2025-01-01 05:00 UTC, New York's midnight
    tariff.write_text(json.dumps(cheap), encoding="utf-8")
    loaded = _command(
        "import_tariff", str(tariff), "--format", "urdb", "--code", "ny-flat",
        "--timezone", "America/New_York", "--program", FLEET_PROGRAM,
    )  # fmt: skip
    assert loaded["outcome"] == "created", loaded

    admin = journey.sign_in(ADMIN)
    admin.goto(f"{url}/staff/programs/{FLEET_PROGRAM}/rules/")
    document = json.loads(admin.input_value("#id_document"))
    (export_rule,) = document["rules"]
    export_rule["parameters"]["channel_kind"] = "EVSE_EXPORT"
    document["rules"] += [
        {"name": "offer", "kind": "ACCEPTED_OFFER", "parameters": {"channel_kind": "EVSE_EXPORT"}},
        {
            "name": "event-constraints",
            "kind": "EVENT_CONSTRAINTS",
            "parameters": {"season_months": [6, 7, 8], "earliest_start": "12:00",
                           "latest_end": "20:00"},
        },
    ]  # fmt: skip
    admin.fill("#id_document", json.dumps(document))
    submit(admin, "text=Validate and save")
    assert "Rule set v1: updated." in admin.content(), admin.inner_text("main")
    journey.check(admin, "fleet-program-rules")
    admin.goto(f"{url}/staff/programs/{FLEET_PROGRAM}/settings/")
    admin.fill("#id_settlement-review_cap", "1000.00")
    admin.fill("#id_settlement-two_approver_amount", "150.00")
    submit(admin, "text=Save review thresholds")
    admin.select_option("#id_payout-method", "MANUAL")
    admin.fill("#id_payout-minimum_cents", "0")
    admin.select_option("#id_payout-organization_tax_form", "1099-NEC")
    submit(admin, "text=Save payout settings")
    assert f"{FLEET_PROGRAM} payout settings: " in admin.content()
    journey.set_password_from(FLEET)

    # Monday 14 July: the event, Thursday 15:00-17:00 EDT at $1.50/kWh; the manager commits 40 kW.
    clock.set(dt.datetime(2025, 7, 14, 9, tzinfo=EDT))
    admin = journey.sign_in(ADMIN)
    admin.goto(f"{url}/staff/events/")
    admin.select_option("#id_program", FLEET_PROGRAM)
    admin.fill("#id_start", "2025-07-17T15:00")
    admin.fill("#id_end", "2025-07-17T17:00")
    admin.fill("#id_deadline", "2025-07-16T12:00")
    admin.select_option("#id_kind", "ECONOMIC")
    admin.select_option("#id_signal", "EXPORT_PRICE")
    admin.fill("#id_price", "1.50")
    submit(admin, "form button:has-text('Create')")
    created_event = re.search(r"Event (\d+) created with 1 offers\.", admin.content())
    assert created_event is not None, admin.inner_text("main")
    event_id = int(created_event.group(1))
    manager = journey.sign_in(FLEET)
    manager.goto(f"{url}/offers/")
    manager.fill("form.answer input[name=committed_kw]", "40")
    submit(manager, "form.answer button:has-text('Accept')")
    assert "Accepted" in manager.content(), manager.inner_text("main")

    # Saturday 2 August: July's files, measure, settle, two approvals, release.
    clock.set(dt.datetime(2025, 8, 2, 10, tzinfo=EDT))
    admin = journey.sign_in(ADMIN)
    for meter, export_wh in (("SM-1", 1000), ("SM-2", 0)):
        path = tmp_path / f"{meter}-2025-07.csv"
        path.write_text(july_file(meter, export_wh, 30_000), encoding="utf-8")
        admin.goto(f"{url}/staff/metering/uploads/")
        admin.set_input_files("#id_file", str(path))
        submit(admin, "button:has-text('Upload')")
        assert admin.inner_text("#status") == "PROCESSED", admin.inner_text("main")
    admin.goto(f"{url}/staff/events/{event_id}/")
    submit(admin, "button:has-text('Measure deliveries now')")
    # Measured already when the readings were ingested (issue 21).
    assert "Measured: 0 created, 0 recomputed, 1 unchanged" in admin.content(), admin.inner_text(
        "main"
    )
    # 120 kWh delivered, 80 kWh paid (40 kW x 2 h) x $1.50 = $120.00.
    assert "$120.00" in admin.inner_text("table.results"), admin.inner_text("table.results")
    journey.check(admin, "fleet-event-measured")

    riley = journey.sign_in(REVIEWER)
    riley.goto(f"{url}/staff/settlement/runs/")
    riley.select_option("#id_program", FLEET_PROGRAM)
    riley.fill("#id_period", "2025-07")
    submit(riley, "button:has-text('Start run')")
    statement = Statement.objects.get(participant__email=FLEET)
    assert str(statement.total) == "163.10", [
        (line.kind, line.kwh, line.amount) for line in statement.lines.all()
    ]
    for number, email in enumerate(APPROVERS, start=1):
        approver = journey.sign_in(email)
        approver.goto(f"{url}/staff/settlement/statements/{statement.pk}/")
        approver.fill("#reason", f"Offer delivered on both buses ({number})")
        submit(approver, "button[value=approve]")
        assert f"approvals {number} of 2" in approver.inner_text("main")
    approver.fill("#reason", "Release")
    submit(approver, "button[value=release]")
    assert approver.inner_text("#state") == "Released to payouts"
    journey.check(approver, "fleet-statement")

    clock.set(dt.datetime(2025, 8, 4, 9, tzinfo=EDT))
    paid = _command("run_payouts")
    assert (paid["created"], paid["total_cents"]) == (1, 16310), paid
    credits = tmp_path / "fleet-credits.csv"
    exported = _command(
        "export_bill_credits", "--program", FLEET_PROGRAM, "--period", "2025-08",
        "--output", str(credits),
    )  # fmt: skip
    assert (exported["rows"], exported["total_cents"]) == (1, 16310), exported
    with credits.open(newline="", encoding="utf-8") as file:
        (row,) = csv.DictReader(file)
    assert (row["email"], row["amount"], row["method"]) == (FLEET, "163.10", "MANUAL"), row
    _command("export_bill_credits", "--confirm", str(exported["file_id"]))
    admin = journey.sign_in(ADMIN)
    admin.goto(f"{url}/staff/payouts/")
    with admin.expect_download() as download:
        admin.click("a:has-text('Tax totals 2025 (CSV)')")
    totals = csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
    assert [(row["email"], row["tax_form"], row["total_paid"]) for row in totals] == [
        (FLEET, "1099-NEC", "163.10")
    ]
    assert journey.problems == []
