"""Bill-credit exports, tax totals and reconciliation, checked against hand-counted figures."""

import json

import pytest
from django.core.management import call_command

from settlement.ledger import queries as ledger_queries
from settlement.payouts import operations, reconciliation, webhooks
from settlement.payouts.models import BillCreditFile, Payout, PayoutMethod
from tests.factories import EnrollmentFactory, ProgramFactory
from tests.functional.payouts.conftest import NOW, give_balance, set_method

pytestmark = pytest.mark.django_db(transaction=True)


def run(command, *args, capsys):
    call_command(command, *args)
    return json.loads(capsys.readouterr().out)


def test_bill_credits_are_exported_once_and_paid_when_confirmed(
    enrolled, program, tmp_path, capsys, settings
):
    settings.STRIPE_SECRET_KEY = ""
    set_method(program, PayoutMethod.BILL_CREDIT)
    ana = enrolled("ana@example.com", cents=1_250)
    mallory = enrolled("mallory@example.com", cents=75)
    mallory.name = '=HYPERLINK("http://evil")'
    mallory.save()
    operations.run_payouts(now=NOW)
    period = NOW.strftime("%Y-%m")
    out = tmp_path / "credits.csv"

    exported = run(
        "export_bill_credits",
        "--program",
        program.code,
        "--period",
        period,
        "--output",
        str(out),
        capsys=capsys,
    )
    again = run("export_bill_credits", "--program", program.code, "--period", period, capsys=capsys)

    assert (exported["rows"], exported["total_cents"]) == (2, 1_325)
    assert (again["rows"], again["file_id"]) == (0, None)
    lines = out.read_text().splitlines()
    assert (
        lines[0] == "payout_id,participant,email,utility_accounts,amount,currency,method,reference"
    )
    assert ",12.50,USD,BILL_CREDIT," in lines[1]
    assert lines[2].split(",")[1] == '"\'=HYPERLINK(""http://evil"")"'
    assert set(Payout.objects.values_list("status", flat=True)) == {"EXPORTED"}

    confirmed = run("export_bill_credits", "--confirm", str(exported["file_id"]), capsys=capsys)

    assert confirmed["status"] == "CONFIRMED"
    assert set(Payout.objects.values_list("status", flat=True)) == {"PAID"}
    assert ledger_queries.participant_in_transit_cents(participant=ana, currency="USD") == 0
    assert BillCreditFile.objects.get().status == "CONFIRMED"
    run("export_bill_credits", "--confirm", str(exported["file_id"]), capsys=capsys)
    assert ledger_queries.participant_in_transit_cents(participant=ana, currency="USD") == 0


def test_tax_totals_add_up_what_was_paid_in_the_year(
    connected, fake_stripe, program, tmp_path, capsys
):
    ana = connected("ana@example.com", cents=60_000)
    operations.run_payouts(now=NOW)
    give_balance(ana, program, 5_001, "second")
    operations.run_payouts(now=NOW)
    out = tmp_path / "tax.csv"

    summary = run("export_tax_totals", "--year", str(NOW.year), "--output", str(out), capsys=capsys)

    assert (summary["participants"], summary["total_cents"]) == (1, 65_001)
    assert out.read_text().splitlines()[1].endswith(",1099-MISC,USD,650.01")
    assert (
        run("export_tax_totals", "--year", str(NOW.year - 1), "--output", str(out), capsys=capsys)[
            "rows"
        ]
        == 0
    )


def test_reconciliation_matches_ledger_and_transfers_and_flags_a_stray_transfer(
    connected, fake_stripe
):
    connected("ana@example.com", cents=1_000)
    connected("ben@example.com", cents=2_345)
    operations.run_payouts(now=NOW)

    report = reconciliation.reconcile().as_dict()

    assert (report["matched"], report["currencies"], report["balanced"]) == (
        2,
        {
            "USD": {
                "gateway_cents": 3_345,
                "ledger_cents": 3_345,
                "gateway_reversed_cents": 0,
                "ledger_reversed_cents": 0,
            }
        },
        True,
    )
    account = fake_stripe.fake.state.accounts
    destination = next(iter(account))
    fake_stripe.fake.create_transfer(
        {
            "amount": "5",
            "currency": "usd",
            "destination": destination,
            "metadata": {"payout_id": "999"},
        }
    )
    report = reconciliation.reconcile().as_dict()
    assert report["balanced"] is False
    assert report["problems"][0]["problem"] == "no such payout"


def test_tax_totals_and_reconciliation_count_reversals_and_not_bank_returns(
    connected, fake_stripe, tmp_path, capsys
):
    ana = connected("ana@example.com", cents=5_000)
    operations.run_payouts(now=NOW)
    payout = Payout.objects.get(participant=ana)
    fake_stripe.fake.reverse_transfer(payout.stripe_transfer_id, {"amount": "1200"})
    webhooks.receive_event(event=fake_stripe.state()["events"][-1], now=NOW)
    operations.record_bank_payout_failure(
        stripe_account_id=payout.destination,
        stripe_payout_id="po_bank",
        cents=3_000,
        currency="usd",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
        failed_at=NOW,
        now=NOW,
    )
    out = tmp_path / "tax.csv"

    summary = run("export_tax_totals", "--year", str(NOW.year), "--output", str(out), capsys=capsys)
    report = reconciliation.reconcile().as_dict()

    # 5,000 paid less 1,200 reversed; the bank return moved nothing.
    assert summary["total_cents"] == 3_800
    assert out.read_text().splitlines()[1].endswith(",1099-MISC,USD,38.00")
    assert (report["currencies"], report["balanced"]) == (
        {
            "USD": {
                "gateway_cents": 5_000,
                "ledger_cents": 5_000,
                "gateway_reversed_cents": 1_200,
                "ledger_reversed_cents": 1_200,
            }
        },
        True,
    )


def test_reconciliation_keeps_each_currency_apart(connected, fake_stripe, program):
    ana = connected("ana@example.com", cents=1_000)
    euros = ProgramFactory(code="eu-export", currency="EUR")
    EnrollmentFactory(participant=ana, site__participant=ana, program=euros)
    give_balance(ana, euros, 700, "ana-eur-1")
    operations.run_payouts(now=NOW)

    report = reconciliation.reconcile().as_dict()

    # Never 1,700 of nothing: 1,000 US cents and 700 euro cents, each side.
    assert (report["matched"], report["balanced"], report["currencies"]) == (
        2,
        True,
        {
            "EUR": {
                "gateway_cents": 700,
                "ledger_cents": 700,
                "gateway_reversed_cents": 0,
                "ledger_reversed_cents": 0,
            },
            "USD": {
                "gateway_cents": 1_000,
                "ledger_cents": 1_000,
                "gateway_reversed_cents": 0,
                "ledger_reversed_cents": 0,
            },
        },
    )


def test_a_transfer_in_another_currency_than_its_payout_is_a_difference(
    connected, fake_stripe, capsys
):
    connected("ana@example.com", cents=1_000)
    operations.run_payouts(now=NOW)
    payout = Payout.objects.get()
    transfer = fake_stripe.fake.state.transfers[payout.stripe_transfer_id]
    transfer["currency"] = "eur"  # the same 1,000, but euro cents

    report = reconciliation.reconcile().as_dict()

    assert report["balanced"] is False
    participant = payout.participant_id
    assert report["problems"] == [
        {"payout": payout.pk, "problem": f"transfer {payout.stripe_transfer_id} differs"},
        {
            "participant": f"participant:{participant}:EUR",
            "problem": (
                f"participant {participant} was sent 1000 EUR cents (Stripe's transfers, less "
                "reversals) but only 0 were released (0 in released statements, less 0 owed "
                "back and netted): 1000 cents too many"
            ),
        },
    ]
    assert report["currencies"]["EUR"]["gateway_cents"] == 1_000
    assert report["currencies"]["USD"] == {
        "gateway_cents": 0,
        "ledger_cents": 1_000,
        "gateway_reversed_cents": 0,
        "ledger_reversed_cents": 0,
    }
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile_payouts")
    assert exited.value.code == 1
