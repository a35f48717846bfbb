"""Review pages and lists cost the same number of queries at any size, and page their rows."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from accounts import roles
from settlement.programs import operations as program_operations
from settlement.statements.models import SettlementRun, Statement
from tests.factories import ParticipantFactory, ProgramFactory, UserFactory
from tests.rule_files import rule_file

pytestmark = pytest.mark.django_db
STARTED = dt.datetime(2026, 1, 5, 17, tzinfo=dt.UTC)


def _runs(count: int, statements_each: int = 2) -> list[SettlementRun]:
    program = ProgramFactory(code="nbt-export", timezone="America/Los_Angeles")
    participants = [ParticipantFactory() for _ in range(statements_each)]
    runs = []
    for number in range(count):
        year, month = divmod(number, 12)
        start = dt.date(2020 + year, month + 1, 1)
        end = dt.date(2020 + year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        run = SettlementRun.objects.create(
            program=program,
            period_start=start,
            period_end=end,
            type="INITIAL",
            status="COMPLETED",
            sequence=1,
            started_at=STARTED + dt.timedelta(minutes=number),
        )
        for index, participant in enumerate(participants):
            Statement.objects.create(
                run=run,
                participant=participant,
                currency="USD",
                state="NEEDS_REVIEW" if index == 0 else "DRAFT",
                total=Decimal("10.50"),
                flags=["review_cap"] if index == 0 else [],
                content_sha256="0" * 64,
                created_at=STARTED,
            )
        runs.append(run)
    return runs


@pytest.mark.parametrize("count", [2, 60])
def test_the_runs_page_takes_the_same_queries_at_any_size(
    client_for, reviewer, django_assert_num_queries, count
):
    _runs(count)
    client = client_for(reviewer)

    # session, user, the scope check and the form's programs, count, page, statement
    # counts, not-settleable counts (and the scope's subquery), the menu's unread
    # notifications: nothing per run
    with django_assert_num_queries(10):
        response = client.get("/staff/settlement/runs/")

    assert response.status_code == 200
    assert len(response.context["runs"]) == min(count, 50)


@pytest.mark.parametrize("count", [2, 60])
def test_the_runs_api_lists_runs_in_constant_queries(
    client_for, reviewer, django_assert_num_queries, count
):
    runs = _runs(count)
    client = client_for(reviewer)

    with django_assert_num_queries(7):
        response = client.get("/api/v1/staff/runs/?limit=3")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == count
    newest = runs[-1]
    assert body["results"][0] == {
        "run_id": newest.pk,
        "program": "nbt-export",
        "period_start": newest.period_start.isoformat(),
        "period_end": newest.period_end.isoformat(),
        "type": "initial",
        "status": "completed",
        "sequence": 1,
        "started_by": None,
        "started_automatically": False,
        "statements": 2,
        "total": "21.00",
        "flagged": 1,
        "not_settleable": 0,
        "chunks": 0,
        "inputs_sha256": "",
        "result_sha256": "",
        "error": "",
    }
    assert [row["run_id"] for row in body["results"]] == [run.pk for run in runs[::-1][:3]]


@pytest.mark.parametrize("count", [2, 60])
def test_the_review_queue_takes_the_same_queries_and_opens_on_needs_review(
    client_for, reviewer, django_assert_num_queries, count
):
    _runs(count)
    client = client_for(reviewer)

    # The page's own queries and the menu's unread notifications.
    with django_assert_num_queries(8):
        response = client.get("/staff/settlement/statements/")

    shown = list(response.context["statements"])
    assert {statement.state for statement in shown} == {"NEEDS_REVIEW"}
    assert len(shown) == min(count, 50)
    assert response.context["page"].paginator.count == count


def test_all_states_are_one_choice_away(client_for, reviewer):
    _runs(2)

    response = client_for(reviewer).get("/staff/settlement/statements/?state=")

    assert response.context["page"].paginator.count == 4


def test_the_statements_api_honors_limit(client_for, reviewer):
    _runs(3)

    response = client_for(reviewer).get("/api/v1/staff/statements/?limit=2")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_the_rules_page_shows_json_that_loads_back_unchanged(client_for, staff_roles):
    ProgramFactory(code="elrp")
    program_operations.import_rules(program_code="elrp", document=rule_file())
    administrator = UserFactory(email="boss@utility.example.com", is_staff=True)
    administrator.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    client = client_for(administrator)

    page = client.get("/staff/programs/elrp/rules/").content.decode()
    shown = re.search(r'<pre class="rule-file">(.*?)</pre>', page, re.S)
    assert shown is not None
    document = json.loads(shown.group(1).replace("&quot;", '"'))
    response = client.post(
        "/staff/programs/elrp/rules/", {"document": json.dumps(document)}, follow=True
    )

    # The same file, its rules in the page's order (by kind, then name).
    assert document == {**rule_file(), "rules": rule_file()["rules"][::-1]}
    assert b"Rule set v1: unchanged." in response.content
