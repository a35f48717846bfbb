"""Every staff list and detail page costs the same number of queries at 2 rows as at 20.

A page whose queries grow with its rows (a query per upload, per statement line, per payout)
is an N+1: slow at a utility's size and invisible at a test's. Each test builds a small and
a large case, counts the queries of the same page over each, and compares the counts per
page (so a failure names every page that grew). The runs, review queue, members and event
results pages have their own tests (tests/functional/statements/test_review_pages_scale.py,
test_staff_members_page.py, events/test_events_http.py); they are counted here too.
"""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Program, User
from settlement.events import operations as event_operations
from settlement.events.models import DispatchEvent
from settlement.metering import operations as metering_operations
from settlement.metering.models import Aggregator, Reading, Upload
from settlement.openadr.models import OpenADRClient
from settlement.payouts.models import Payout
from settlement.payouts.program_settings import PayoutSettings, save_payout_settings
from settlement.programs import operations as program_operations
from settlement.statements.models import SettlementRun, Statement
from settlement.statements.review import thresholds
from tests import released_statements
from tests.event_fixtures import Owner, dispatch, incremental_rules, local_hour, program_with
from tests.factories import UserFactory
from tests.settlement_fixtures import (
    enroll,
    hourly_rows,
    make_program,
    peak_or_off_peak,
    run_command,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]
JULY = dt.date(2025, 7, 1)
HEADER = "meter_id,start,end,export_wh,import_wh,quality"


@pytest.fixture
def staff(staff_roles) -> User:
    """A staff member holding every role, so every page shows all it can."""
    user = UserFactory(email="everyone@utility.example.com", is_staff=True)
    user.groups.add(*staff_roles.values())
    return user


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    # A form refused (a wrong parameter) would count a page that did nothing.
    assert b"errorlist" not in response.content, (url, response.content)
    return len(queries)


def counts(client: Client, urls: dict[str, str]) -> dict[str, int]:
    measured = {name: count(client, url) for name, url in urls.items()}
    print(measured)  # noqa: T201 - shown with -s, and by pytest when the test fails
    return measured


def _upload(sender: User, rows: list[str], name: str) -> Upload:
    body = ("\n".join([HEADER, *rows]) + "\n").encode()
    result = metering_operations.receive_file(
        sender=sender, stream=io.BytesIO(body), filename=name, size=len(body), now=timezone.now()
    )
    assert result.upload.status == "PROCESSED", result.upload.rejection_reason
    return result.upload


class World:
    """A program of `size` participants, each with `size` days of July 2025 readings sent
    on the staff page, a revision of the first meter's readings, July settled, and a
    released statement per participant paid manually (exported and confirmed)."""

    def __init__(self, code: str, size: int, sender: User, files: Path) -> None:
        self.program: Program = make_program(code=code)
        self.meters = [f"{code}-RM-{n}" for n in range(size)]
        for n, meter in enumerate(self.meters):
            enroll(self.program, f"{code}-{n}@example.com", meter)
            rows = hourly_rows(meter, JULY, size, peak_or_off_peak(2000, 100))
            self.upload = _upload(sender, rows, f"{meter}.csv")
        # The first meter's readings again, every value 10 Wh more: each one revised.
        self.revision = _upload(
            sender,
            hourly_rows(self.meters[0], JULY, size, peak_or_off_peak(2010, 110)),
            f"{self.meters[0]}-revised.csv",
        )
        code_, settled = run_command("settle", "--program", code, "--period", "2025-07")
        assert code_ == 0, settled
        self.run = SettlementRun.objects.get(pk=settled["run_id"])
        self.statement = Statement.objects.filter(run=self.run).order_by("pk").first()
        save_payout_settings(
            program=self.program,
            settings=PayoutSettings(
                method="MANUAL", minimum_cents=0, tax_form="1099-MISC", organization_tax_form=""
            ),
            changed_by=sender,
            now=timezone.now(),
        )
        for statement in Statement.objects.filter(run=self.run):
            released_statements.statement(
                statement.participant, self.program, 1000, f"{code}-paid", now=timezone.now()
            )
        month = timezone.now().strftime("%Y-%m")
        assert run_command("run_payouts")[0] == 0
        _, exported = run_command(
            "export_bill_credits", "--program", code, "--period", month,
            "--output", str(files / f"{code}-credits.csv"),
        )  # fmt: skip
        assert run_command("export_bill_credits", "--confirm", str(exported["file_id"]))[0] == 0

    def detail_urls(self) -> dict[str, str]:
        first = Reading.objects.filter(channel__meter_id=self.meters[0]).order_by("start").first()
        assert first is not None
        return {
            "upload": f"/staff/metering/uploads/{self.revision.pk}/",
            "statement": f"/staff/settlement/statements/{self.statement.pk}/",
            "statement line readings": (
                f"/staff/settlement/statements/{self.statement.pk}/lines/1/"
            ),
            "reading history": (
                f"/staff/metering/readings/?meter={self.meters[0]}&kind=SITE_EXPORT"
                f"&start={first.start.isoformat().replace('+', '%2B')}"
            ),
            "rate preview": (
                f"/staff/rate-preview/?tariff={self.program.code}-tou&meter={self.meters[0]}"
                "&start=2025-07-01&end=2025-08-01&channel_kind=SITE_EXPORT"
            ),
            "run reproduce": f"/staff/settlement/runs/{self.run.pk}/reproduce/",
            # A run's page is the queue filtered to it (the runs list links there).
            "run statements": f"/staff/settlement/statements/?run={self.run.pk}&state=",
            "run export csv": f"/staff/settlement/runs/{self.run.pk}/export/?file=csv",
            "run export json": f"/staff/settlement/runs/{self.run.pk}/export/?file=json",
        }


LISTS = {
    "home": "/staff/",
    "uploads": "/staff/metering/uploads/",
    "runs": "/staff/settlement/runs/",
    "statements queue": "/staff/settlement/statements/?state=",
    "payouts": "/staff/payouts/",
    "tax totals": "/staff/payouts/tax-totals.csv",  # this year's
    "members": "/staff/members/",
}


def test_lists_and_details_take_the_same_queries_at_2_and_20_rows(staff, tmp_path):
    client = Client()
    client.force_login(staff)
    # Pages resolve their users, sessions and role groups once first.
    counts(client, LISTS)

    small = World("small", 2, staff, tmp_path)
    few = counts(client, LISTS)
    few_detail = counts(client, small.detail_urls())

    large = World("large", 20, staff, tmp_path)
    for n in range(18):
        UserFactory(email=f"staff{n}@utility.example.com", is_staff=True)
    many = counts(client, LISTS)
    many_detail = counts(client, large.detail_urls())

    # The large case is large: 22 uploads of 480 hours, 22 payouts, a 20-day statement.
    assert Upload.objects.count() == 2 + 1 + 20 + 1
    assert Payout.objects.count() == 22
    assert (small.revision.revised, large.revision.revised) == (48, 480)
    assert many == few
    assert many_detail == few_detail


def test_program_pages_take_the_same_queries_at_2_and_20_versions_and_changes(staff):
    client = Client()
    client.force_login(staff)
    program = program_with(incremental_rules(), code="elrp")
    pages = {
        "rules": "/staff/programs/elrp/rules/",
        "settings": "/staff/programs/elrp/settings/",
        "home": "/staff/",
    }

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            document = {**incremental_rules(), "effective_from": f"{2030 + n}-01-01"}
            program_operations.import_rules(program_code="elrp", document=document)
            thresholds.save_thresholds(
                program=program,
                thresholds=thresholds.Thresholds(
                    review_cap=Decimal(100 + n),
                    two_approver_amount=Decimal(1000),
                    change_factor=Decimal(2),
                    data_quality_share=Decimal("0.1"),
                    settle_after_days=3,
                ),
                changed_by=staff,
                now=timezone.now(),
            )

    grow(0, 1)  # with the rule set program_with loaded: 2 versions, 1 change
    few = counts(client, pages)
    grow(1, 19)
    many = counts(client, pages)

    assert program.rule_sets.count() == 20
    assert many == few


def test_event_pages_take_the_same_queries_at_2_and_20_events(staff):
    client = Client()
    client.force_login(staff)
    program = program_with(incremental_rules())
    owners = [Owner(program, email=f"owner{n}@example.com") for n in range(2)]

    def events(start: int, stop: int) -> list[DispatchEvent]:
        made = []
        for n in range(start, stop):
            day = dt.date(2025, 7, 1) + dt.timedelta(days=n)
            event = dispatch(
                program, local_hour(day, 17), local_hour(day, 19), now=local_hour(day, 9)
            )
            event_operations.measure_event(event=event, now=timezone.now())
            made.append(event)
        return made

    def pages(event: DispatchEvent) -> dict[str, str]:
        offer = event.offers.order_by("pk").first()
        assert offer is not None
        return {
            "events": "/staff/events/",
            "event": f"/staff/events/{event.pk}/",
            "event offer": f"/staff/events/{event.pk}/offers/{offer.pk}/",
        }

    first = events(0, 2)[0]
    few = counts(client, pages(first))
    for n in range(2, 20):
        Owner(program, email=f"owner{n}@example.com")
    last = events(2, 20)[-1]
    many = counts(client, pages(last))

    assert (DispatchEvent.objects.count(), last.offers.count(), len(owners)) == (20, 20, 2)
    assert many == few


def test_openadr_clients_take_the_same_queries_at_2_and_20_clients(staff):
    client = Client()
    client.force_login(staff)

    def clients(start: int, stop: int) -> None:
        # Every other one a VEN acting for an aggregator of its own (named on the page).
        for n in range(start, stop):
            ven = n % 2 == 1
            OpenADRClient.objects.create(
                name=f"client-{n}",
                role="VEN" if ven else "BL",
                client_id=f"oadr-{n:024d}",
                secret_hash="!",
                scopes=["read_all"],
                aggregator=Aggregator.objects.create(name=f"aggregator-{n}") if ven else None,
                created_at=timezone.now(),
            )

    clients(0, 2)
    few = count(client, "/staff/openadr/clients/")
    clients(2, 20)
    many = count(client, "/staff/openadr/clients/")

    assert many == few
