"""Statement pages: the list, the detail in plain words, the PDF and CSV downloads."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from tests.portal_fixtures import owner_with_statements, paid_by_payout

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo("America/Los_Angeles")).date()


@pytest.fixture
def ana(client):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    client.force_login(owner.user)
    return owner


def test_the_detail_explains_each_line_and_how_it_is_paid(client, ana):
    page = client.get(f"/statements/{ana.last.pk}/").content.decode()

    assert "Exported 40.0 kWh during Peak at $0.30/kWh" in page
    assert "40.000 kWh x $0.30/kWh = $12.00" in page
    assert "160.000 kWh x $0.05/kWh = $8.00" in page
    assert '<strong id="total" class="amount-inline">$20.00</strong>' in page
    assert "Released to payouts: it is paid with your next payout." in page


def test_a_negative_statement_says_it_is_netted_against_the_next_payout(client, ana):
    page = client.get(f"/statements/{ana.correction.pk}/").content.decode()
    listing = client.get("/statements/").content.decode()

    assert "You owe $2.50: it is netted against your next payout, not billed." in page
    assert "-$2.50" in listing and "Netted against your next payout." in listing


def test_the_pdf_carries_program_period_lines_totals_zone_and_identifier(client, ana):
    response = client.get(f"/statements/{ana.last.pk}/download.pdf")

    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    reference = f"ST-{ana.last.pk:06d}"
    assert f"Statement {reference} for Ana Lopez" in text
    assert "Export Credits: statement for" in text
    assert "time zone America/Los_Angeles" in text
    assert "Exported 40.0 kWh during Peak at $0.30/kWh" in text
    assert "$12.00" in text and "$8.00" in text
    assert "Total" in text and "$20.00" in text
    assert "Released to payouts: it is paid with your next payout." in text


def test_the_pdf_of_a_paid_statement_names_its_payout(client, ana):
    paid = ana.participant.statements.get(total="30.00")
    text = PdfReader(io.BytesIO(client.get(f"/statements/{paid.pk}/download.pdf").content))
    assert "Paid by payout" in text.pages[0].extract_text()


def _pdf_text(client, statement) -> str:
    response = client.get(f"/statements/{statement.pk}/download.pdf")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_same_statement_downloaded_again_is_the_same_pdf(client, ana):
    first = client.get(f"/statements/{ana.last.pk}/download.pdf").content

    again = client.get(f"/statements/{ana.last.pk}/download.pdf").content

    assert again == first


def test_a_statement_paid_after_a_download_is_downloaded_naming_its_payout(client, ana):
    # The first download keeps a PDF saying the statement waits for a payout; once paid,
    # what the PDF prints changes, so the kept one is not the one served.
    assert "Released to payouts: it is paid with your next payout." in _pdf_text(client, ana.last)
    payout = paid_by_payout(statements=[ana.last], program=ana.program)

    text = _pdf_text(client, ana.last)

    assert f"Paid by payout {payout.pk} (Paid)." in text
    assert "it is paid with your next payout" not in text


def test_the_csv_lists_the_lines_through_the_formula_safe_writer(client, ana):
    response = client.get(f"/statements/{ana.correction.pk}/download.csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [(row["what"], row["kwh"], row["amount"]) for row in rows] == [
        ("Corrected meter data", "-25.000", "-2.50")
    ]


def test_another_owner_gets_404_for_the_page_and_the_files(client, ana):
    stranger = owner_with_statements(email="ben@example.com", today=_today())
    client.force_login(stranger.user)

    assert client.get(f"/statements/{ana.last.pk}/").status_code == 404
    assert client.get(f"/statements/{ana.last.pk}/download.pdf").status_code == 404
    assert client.get(f"/statements/{ana.last.pk}/download.csv").status_code == 404


def test_an_unknown_format_is_a_page_that_does_not_exist(client, ana):
    assert client.get(f"/statements/{ana.last.pk}/download.xlsx").status_code == 404


def test_the_list_costs_the_same_queries_for_more_statements(client):
    counts = []
    for email, older in (("small@example.com", 0), ("large@example.com", 15)):
        owner = owner_with_statements(email=email, today=_today(), older_months=older)
        client.force_login(owner.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/statements/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_statement_shows_its_period_day_by_day_as_a_chart_and_a_table(client):
    owner = owner_with_statements(email="ana@example.com", today=_today())
    client.force_login(owner.user)

    page = client.get(f"/statements/{owner.last.pk}/").content.decode()

    # Last month's statement pays exported energy at 20.00 / 200 kWh = 0.10 per kWh; the
    # fixture's readings (2 kWh a day) reach into it only when today is early in the month.
    assert '<svg viewBox="0 0 600 180" role="img"' in page
    assert 'id="period-table"' in page
    assert page.count("<rect ") == (owner.last.run.period_end - owner.last.run.period_start).days
