"""Staff see every payout with filters, the reconciliation and the tax totals download."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from settlement.payouts import operations
from settlement.payouts.models import Payout
from tests.functional.payouts.conftest import NOW

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_filter_payouts_and_owners_get_404(
    connected, fake_stripe, reviewer, client_for, settings
):
    settings.PAYOUT_MAX_SEND_ATTEMPTS = 1
    ana = connected("ana@example.com", cents=1_111)
    connected("ben@example.com", cents=2_222)
    fake_stripe.faults({"op": "create_transfer", "kind": "error_before", "status": 400})
    operations.run_payouts(now=NOW)
    staff = client_for(reviewer)

    everything = staff.get(reverse("staff:payouts")).content.decode()
    failed = staff.get(reverse("staff:payouts") + "?status=FAILED").content.decode()

    assert "$11.11" in everything and "$22.22" in everything
    assert ("$11.11" in failed) != ("$22.22" in failed)
    assert client_for(ana.members.get()).get(reverse("staff:payouts")).status_code == 404


def test_the_reconciliation_page_says_ledger_and_stripe_agree(
    connected, fake_stripe, reviewer, client_for
):
    connected("ana@example.com", cents=1_000)
    operations.run_payouts(now=NOW)

    page = client_for(reviewer).get(reverse("staff:payouts-reconciliation")).content.decode()

    assert "Ledger and Stripe agree." in page
    # Amounts with their currency, per currency: $10.00 transferred and $10.00 paid.
    assert "<h2>USD</h2>" in page
    assert page.count("<td>$10.00</td>") == 2
    assert page.count("<td>$0.00</td>") == 2


def test_staff_download_the_tax_totals(connected, fake_stripe, reviewer, client_for):
    connected("ana@example.com", cents=1_000)
    operations.run_payouts(now=NOW)

    response = client_for(reviewer).get(reverse("staff:payouts-tax-totals") + f"?year={NOW.year}")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines()[1].endswith(",1099-MISC,USD,10.00")


def test_the_reconciliation_page_takes_the_same_queries_at_2_and_20_payouts(
    connected, fake_stripe, reviewer, client_for
):
    staff = client_for(reviewer)
    url = reverse("staff:payouts-reconciliation")

    def queries_with(payouts: int) -> int:
        for n in range(Payout.objects.count(), payouts):
            connected(f"owner{n}@example.com", cents=1_000 + n)
        operations.run_payouts(now=NOW)
        assert Payout.objects.filter(status="PAID").count() == payouts
        with CaptureQueriesContext(connection) as queries:
            page = staff.get(url).content.decode()
        assert "Ledger and Stripe agree." in page
        return len(queries)

    assert queries_with(2) == queries_with(20)
