"""No 500 from anything a client can send: query parameters, staff page inputs, documents.

Each hostile value answers a 4xx naming the field (issue 18), and stores nothing.
"""

import datetime as dt

import pytest

from accounts import roles
from settlement.programs.models import RuleSet
from settlement.statements.models import SettlementRun
from tests.clients import signed_in
from tests.factories import ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = "288528148326457528025088"


@pytest.fixture
def run(db: None) -> SettlementRun:
    return SettlementRun.objects.create(
        program=ProgramFactory(code="nbt"),
        period_start=dt.date(2025, 5, 1),
        period_end=dt.date(2025, 6, 1),
        type=SettlementRun.Type.INITIAL,
        sequence=1,
        started_at=dt.datetime(2025, 6, 2, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (f"limit={HUGE}", "limit", "Ensure this value is less than or equal to 1000."),
        (
            f"offset={HUGE}",
            "offset",
            "Ensure this value is less than or equal to 9223372036854775807.",
        ),
        (
            f"participant={HUGE}",
            "participant",
            "Ensure this value is less than or equal to 9223372036854775807.",
        ),
        ("participant=null", "participant", "A valid integer is required."),
        ("limit=0", "limit", "Ensure this value is greater than or equal to 1."),
        ("status=", "status", "This field may not be blank."),
        ("method=CHEQUE", "method", '"CHEQUE" is not a valid choice.'),
    ],
)
def test_the_payout_list_refuses_a_parameter_it_cannot_use(owner, query, field, message):
    response = signed_in(owner).get(f"/api/v1/payouts/?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {field: [message]}


def test_the_statement_list_refuses_a_run_beyond_a_database_id(reviewer):
    response = signed_in(reviewer).get(f"/api/v1/staff/statements/?run={HUGE}")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "run": ["Ensure this value is less than or equal to 9223372036854775807."]
    }


@pytest.mark.parametrize("run_filter", [HUGE, "²", "٣"])
def test_the_staff_queue_reads_a_run_it_cannot_use_as_no_filter(reviewer, run_filter):
    response = signed_in(reviewer).get(f"/staff/settlement/statements/?run={run_filter}")

    assert response.status_code == 200


def test_the_staff_export_refuses_an_unknown_file_type_as_the_api_does(reviewer, run):
    page = signed_in(reviewer).get(f"/staff/settlement/runs/{run.pk}/export/?file=xls")
    api = signed_in(reviewer).get(f"/api/v1/staff/runs/{run.pk}/export/?file=xls")

    assert (page.status_code, page.content.decode()) == (
        400,
        "file: must be csv or json, not 'xls'",
    )
    assert api.status_code == 400
    assert api.json()["error"]["details"] == {"file": ["must be csv or json, not 'xls'"]}


@pytest.mark.parametrize(
    ("year", "reason"),
    [
        ("99999", "'99999' is not a year from 1970 to 9998"),
        ("9999", "9999 is not a year from 1970 to 9998"),
        ("0", "0 is not a year from 1970 to 9998"),
        ("٢٠٢٥", "'٢٠٢٥' is not a year from 1970 to 9998"),
    ],
)
def test_the_tax_totals_refuse_a_year_no_payout_can_have(reviewer, year, reason):
    response = signed_in(reviewer).get(f"/staff/payouts/tax-totals.csv?year={year}")

    assert (response.status_code, response.content.decode()) == (400, f"year: {reason}")


def test_a_rules_document_nested_fifty_thousand_deep_is_a_form_error(client, staff_roles):
    ProgramFactory(code="elrp")
    administrator = UserFactory(email="programs@utility.example.com", is_staff=True)
    administrator.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    client.force_login(administrator)

    page = client.post("/staff/programs/elrp/rules/", {"document": "[" * 50_000 + "]" * 50_000})

    assert page.status_code == 200
    assert "nested deeper than 64 levels" in page.content.decode()
    assert RuleSet.objects.count() == 0


@pytest.mark.parametrize("path", ["/", "/offers/", "/payouts/", "/statements/"])
def test_portal_pages_are_never_stored_by_a_cache(owner, path):
    response = signed_in(owner).get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/staff/", "/staff/settlement/statements/", "/staff/payouts/"])
def test_staff_pages_are_never_stored_by_a_cache(reviewer, path):
    response = signed_in(reviewer).get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_the_api_answers_a_token_holder_with_no_store(owner):
    response = signed_in(owner).get("/api/v1/me/")

    assert response["Cache-Control"] == "private, no-store"
