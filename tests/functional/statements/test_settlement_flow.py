"""Ingest -> settle -> review -> approve -> ledger, through the API, with amounts by hand.

The program pays Peak (16:00-21:00 local) $0.30/kWh and Off-peak $0.05/kWh. July 2025 of
hourly readings, 2.000 kWh each peak hour and 0.100 kWh each other hour:
  Peak     31 x 5 x 2.000 = 310.000 kWh x 0.30 = $93.00
  Off-peak 31 x 19 x 0.100 = 58.900 kWh x 0.05 = $2.945 -> $2.95 (half-up, once)
  Total $95.95 = 9595 cents owed to the participant.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import TestCase
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import User
from settlement.ledger import queries as ledger_queries
from settlement.statements.models import (
    ProgramSettlementSettings,
    SettlementRun,
    StaffProgramScope,
    Statement,
)
from tests.clients import signed_in
from tests.factories import MembershipFactory, ProgramFactory, UserFactory
from tests.settlement_fixtures import (
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
    run_command,
)

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)
# 2025-07-10 17:00 PDT, a peak hour.
REVISED_HOUR = dt.datetime(2025, 7, 11, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def chunks_in_process(tasks_in_process: None) -> None:
    """Run chunk tasks in this process (a real worker is tested in test_settlement_worker)."""


def _staff(staff_roles, email: str, *role_names: str) -> User:
    user = UserFactory(email=email, is_staff=True)
    for name in role_names:
        user.groups.add(staff_roles[name])
    return user


@pytest.fixture
def scenario(staff_roles, tmp_path):
    program = make_program()
    participant, _ = enroll(program, "olivia@example.com", "RM-1")
    owner = UserFactory(email="olivia@example.com")
    MembershipFactory(user=owner, participant=participant)
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 31, peak_or_off_peak(2000, 100)))
    return {
        "program": program,
        "participant": participant,
        "owner": owner,
        "starter": _staff(staff_roles, "riley@utility.example.com", roles.REVIEWER, roles.APPROVER),
        "approver": _staff(staff_roles, "avery@utility.example.com", roles.APPROVER),
        "second": _staff(staff_roles, "blake@utility.example.com", roles.APPROVER),
    }


def _start(client: APIClient, run_type: str = "initial") -> dict:
    """Start a run and return its summary once its chunk tasks (sent on commit) have run."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/staff/runs/",
            {"program": "nbt-export", "period": "2025-07", "type": run_type},
            format="json",
        )
    assert response.status_code == 202, response.json()
    return client.get(f"/api/v1/staff/runs/{response.json()['run_id']}/").json()


def _only_statement(client: APIClient, run_id: int) -> dict:
    listed = client.get(f"/api/v1/staff/statements/?run={run_id}").json()["results"]
    assert len(listed) == 1
    return client.get(f"/api/v1/staff/statements/{listed[0]['id']}/").json()


def _revise(tmp_path, wh: int) -> None:
    end = REVISED_HOUR + dt.timedelta(hours=1)
    summary = ingest_rows(
        tmp_path,
        [f"RM-1,{REVISED_HOUR.isoformat()},{end.isoformat()},{wh},,"],
        name=f"revision-{wh}.csv",
    )
    assert summary["revised"] == 1, summary


def test_settle_review_approve_posts_the_hand_computed_total_to_the_ledger(scenario):
    starter, approver = signed_in(scenario["starter"]), signed_in(scenario["approver"])

    summary = _start(starter)
    assert (summary["status"], summary["statements"], summary["total"]) == (
        "completed",
        1,
        "95.95",
    )
    detail = _only_statement(starter, summary["run_id"])
    assert [(line["label"], line["kwh"], line["amount"]) for line in detail["lines"]] == [
        ("Off-peak", "58.900", "2.95"),
        ("Peak", "310.000", "93.00"),
    ]

    refused = starter.post(
        f"/api/v1/staff/statements/{detail['id']}/approve/", {"reason": "looks fine"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "maker_checker"
    assert Statement.objects.get().state == "DRAFT"

    approved = approver.post(
        f"/api/v1/staff/statements/{detail['id']}/approve/",
        {"reason": "matches the meter"},
        format="json",
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "APPROVED"
    assert approved.json()["transitions"][-1]["actor"] == "avery@utility.example.com"
    assert approved.json()["transitions"][-1]["reason"] == "matches the meter"

    participant, program = scenario["participant"], scenario["program"]
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 9595
    assert ledger_queries.program_expense_cents(program=program, currency="USD") == 9595
    assert run_command("check_ledger") == (0, {"ok": True, "violations": []})

    owner = signed_in(scenario["owner"])
    mine = owner.get("/api/v1/statements/").json()["results"]
    assert [(item["id"], item["total"]) for item in mine] == [(detail["id"], "95.95")]
    assert mine[0]["lines"][1]["description"] == ("Exported 310.0 kWh during Peak at $0.30/kWh")


def test_an_owner_sees_neither_drafts_nor_other_peoples_statements(scenario, make_owner):
    summary = _start(signed_in(scenario["starter"]))
    statement_id = _only_statement(signed_in(scenario["starter"]), summary["run_id"])["id"]
    owner, stranger = signed_in(scenario["owner"]), signed_in(make_owner("sam@example.com"))

    assert owner.get(f"/api/v1/statements/{statement_id}/").status_code == 404
    signed_in(scenario["approver"]).post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "ok"}, format="json"
    )
    assert owner.get(f"/api/v1/statements/{statement_id}/").status_code == 200
    assert stranger.get(f"/api/v1/statements/{statement_id}/").status_code == 404
    assert stranger.get("/api/v1/statements/").json() == {"results": []}
    assert owner.get(f"/api/v1/staff/statements/{statement_id}/").status_code == 403


def test_a_revised_reading_after_approval_books_exactly_the_difference(scenario, tmp_path):
    starter, approver = signed_in(scenario["starter"]), signed_in(scenario["approver"])
    initial = _only_statement(starter, _start(starter)["run_id"])
    approver.post(
        f"/api/v1/staff/statements/{initial['id']}/approve/", {"reason": "ok"}, format="json"
    )
    # The 17:00 reading of July 10 is corrected from 2.000 to 2.500 kWh:
    # +0.500 kWh x $0.30 = +$0.15 on the Peak line; the approved statement stays as it was.
    _revise(tmp_path, 2500)

    summary = _start(starter, "recalculation")

    assert (summary["type"], summary["statements"], summary["total"]) == (
        "recalculation",
        1,
        "0.15",
    )
    adjustment = _only_statement(starter, summary["run_id"])
    assert [
        (line["kind"], line["adjusts_kind"], line["kwh"], line["price"], line["amount"])
        for line in adjustment["lines"]
    ] == [("ADJUSTMENT", "EXPORT_ENERGY", "0.500", "0.30000", "0.15")]
    assert adjustment["difference_from_previous"]["previous_total"] == "95.95"
    assert Statement.objects.get(pk=initial["id"]).total == Decimal("95.95")

    approver.post(
        f"/api/v1/staff/statements/{adjustment['id']}/approve/",
        {"reason": "meter fix"},
        format="json",
    )
    participant = scenario["participant"]
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 9610
    assert run_command("check_ledger")[1]["ok"] is True


def test_a_negative_difference_becomes_a_receivable_not_a_clawback(scenario, tmp_path, client_for):
    starter, approver = signed_in(scenario["starter"]), signed_in(scenario["approver"])
    initial = _only_statement(starter, _start(starter)["run_id"])
    approver.post(
        f"/api/v1/staff/statements/{initial['id']}/approve/", {"reason": "ok"}, format="json"
    )
    # 2.000 -> 1.000 kWh: -1.000 kWh x $0.30 = -$0.30.
    _revise(tmp_path, 1000)

    adjustment = _only_statement(starter, _start(starter, "recalculation")["run_id"])
    assert adjustment["total"] == "-0.30"
    assert "negative_total" in adjustment["flags"]
    assert adjustment["state"] == "NEEDS_REVIEW"
    approver.post(
        f"/api/v1/staff/statements/{adjustment['id']}/approve/", {"reason": "ok"}, format="json"
    )

    participant = scenario["participant"]
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 9595
    assert (
        ledger_queries.participant_receivable_cents(participant=participant, currency="USD") == 30
    )
    assert (
        ledger_queries.participant_net_payable_cents(participant=participant, currency="USD")
        == 9565
    )
    assert run_command("check_ledger")[1]["ok"] is True

    # The owner's page says what a negative total means: $0.30 comes off the next payout
    # (the portal's statement document words it since issue 20).
    page = client_for(scenario["owner"]).get(f"/statements/{adjustment['id']}/")
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    assert "You owe $0.30: it is netted against your next payout, not billed." in text


def test_above_the_two_approver_amount_two_different_people_must_approve(scenario):
    ProgramSettlementSettings.objects.create(
        program=scenario["program"], two_approver_amount=Decimal("50.00")
    )
    starter = signed_in(scenario["starter"])
    statement_id = _only_statement(starter, _start(starter)["run_id"])["id"]
    first, second = signed_in(scenario["approver"]), signed_in(scenario["second"])

    after_first = first.post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "1"}, format="json"
    )
    assert after_first.json()["state"] == "DRAFT"
    again = first.post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "1 again"}, format="json"
    )
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "maker_checker"
    participant = scenario["participant"]
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 0

    after_second = second.post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "2"}, format="json"
    )
    assert after_second.json()["state"] == "APPROVED"
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 9595


def test_a_role_limited_to_another_program_cannot_see_or_decide(scenario, staff_roles):
    starter = signed_in(scenario["starter"])
    statement_id = _only_statement(starter, _start(starter)["run_id"])["id"]
    elsewhere = _staff(staff_roles, "casey@utility.example.com", roles.APPROVER)
    StaffProgramScope.objects.create(user=elsewhere, program=ProgramFactory(code="other"))

    response = signed_in(elsewhere).post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "ok"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "statement_not_found"
    assert Statement.objects.get().state == "DRAFT"


def test_hold_and_void_need_a_reason_and_are_recorded(scenario):
    starter = signed_in(scenario["starter"])
    statement_id = _only_statement(starter, _start(starter)["run_id"])["id"]
    approver = signed_in(scenario["approver"])

    no_reason = approver.post(
        f"/api/v1/staff/statements/{statement_id}/hold/", {"reason": " "}, format="json"
    )
    assert no_reason.status_code == 400
    # Refused as the schema says (`reason` is a text with some character not a space).
    assert no_reason.json()["error"]["details"] == {"reason": ["This field may not be blank."]}
    held = approver.post(
        f"/api/v1/staff/statements/{statement_id}/hold/", {"reason": "check meter"}, format="json"
    )
    assert held.json()["state"] == "HELD"
    voided = approver.post(
        f"/api/v1/staff/statements/{statement_id}/void/", {"reason": "duplicate"}, format="json"
    )
    assert voided.json()["state"] == "VOIDED"
    assert [(t["action"], t["to_state"]) for t in voided.json()["transitions"]] == [
        ("CREATE", "DRAFT"),
        ("HOLD", "HELD"),
        ("VOID", "VOIDED"),
    ]
    late = approver.post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "ok"}, format="json"
    )
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "transition_not_allowed"


def test_the_export_writes_one_row_per_line(scenario):
    starter = signed_in(scenario["starter"])
    run_id = _start(starter)["run_id"]
    statement_id = Statement.objects.get().pk

    response = starter.get(f"/api/v1/staff/runs/{run_id}/export/?file=csv")

    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "participant_email,statement_id,line_kind,label,kwh,price,amount",
        f"olivia@example.com,{statement_id},EXPORT_ENERGY,Off-peak,58.900,0.05000,2.95",
        f"olivia@example.com,{statement_id},EXPORT_ENERGY,Peak,310.000,0.30000,93.00",
    ]


def test_reproducing_a_run_that_did_not_complete_is_a_documented_409(scenario):
    # Found by the schema fuzz run: the 409 was not in the operation's schema.
    starter = signed_in(scenario["starter"])
    run_id = _start(starter)["run_id"]
    SettlementRun.objects.filter(pk=run_id).update(status=SettlementRun.Status.FAILED)

    response = starter.get(f"/api/v1/staff/runs/{run_id}/reproduce/")
    documented = APIClient().get("/api/schema/?format=json").json()["paths"]

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "run_not_reproducible",
            "message": f"run {run_id} is failed: only a completed run can be reproduced",
            "details": {"field": "run"},
        }
    }
    assert "409" in documented["/api/v1/staff/runs/{run_id}/reproduce/"]["get"]["responses"]


def test_staff_reproduce_a_run_and_others_cannot(scenario):
    starter = signed_in(scenario["starter"])
    summary = _start(starter)

    response = starter.get(f"/api/v1/staff/runs/{summary['run_id']}/reproduce/")

    assert response.status_code == 200
    assert response.json() == {
        "run_id": summary["run_id"],
        "reproduced": True,
        "inputs_sha256_recorded": summary["inputs_sha256"],
        "inputs_sha256_recomputed": summary["inputs_sha256"],
        "result_sha256_recorded": summary["result_sha256"],
        "result_sha256_recomputed": summary["result_sha256"],
        "first_difference": None,
    }
    owner = signed_in(scenario["owner"])
    assert owner.get(f"/api/v1/staff/runs/{summary['run_id']}/reproduce/").status_code in (403, 404)


def _two_statement_run(scenario, tmp_path) -> tuple[int, int, int]:
    # Olivia's statement is $95.95 (module docstring); Noah exports 100 Wh every hour of July:
    # Peak 31 x 5 x 0.100 = 15.500 kWh x 0.30 = $4.65, Off-peak 31 x 19 x 0.100 = 58.900 kWh
    # x 0.05 = $2.945 -> $2.95: $7.60. With two approvers from $50.00, Olivia's needs two.
    ProgramSettlementSettings.objects.create(
        program=scenario["program"], two_approver_amount=Decimal("50.00")
    )
    enroll(scenario["program"], "noah@example.com", "RM-2")
    ingest_rows(tmp_path, hourly_rows("RM-2", JULY, 31, lambda local: 100), name="noah.csv")
    starter = signed_in(scenario["starter"])
    run_id = _start(starter)["run_id"]
    totals = {
        item["participant"]: (item["id"], item["total"])
        for item in starter.get(f"/api/v1/staff/statements/?run={run_id}").json()["results"]
    }
    assert sorted(total for _, total in totals.values()) == ["7.60", "95.95"]
    olivia = Statement.objects.get(run_id=run_id, participant=scenario["participant"]).pk
    noah = Statement.objects.get(run_id=run_id, participant__email="noah@example.com").pk
    return run_id, olivia, noah


def test_bulk_approval_approves_what_it_may_and_reports_each_skipped_statement(scenario, tmp_path):
    run_id, olivia, noah = _two_statement_run(scenario, tmp_path)
    approver = signed_in(scenario["approver"])
    # Avery approves Olivia's alone first: 1 of 2.
    approver.post(
        f"/api/v1/staff/statements/{olivia}/approve/", {"reason": "checked"}, format="json"
    )

    response = approver.post(
        "/api/v1/staff/statements/approve-clean/",
        {"run": run_id, "reason": "clean run"},
        format="json",
    )

    # Noah's is approved; Olivia's is refused to Avery (a second approval must come from a
    # different person) and reported, not a 403 for the whole request.
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "approved": [noah],
        "awaiting_second_approval": [],
        "skipped": [
            {
                "id": olivia,
                "code": "maker_checker",
                "reason": "a second approval must come from a different person",
            }
        ],
    }
    assert Statement.objects.get(pk=noah).state == "APPROVED"
    assert Statement.objects.get(pk=olivia).state == "DRAFT"
    participant = scenario["participant"]
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 0


def test_the_bulk_approval_page_counts_only_completed_approvals(scenario, tmp_path, client_for):
    run_id, olivia, noah = _two_statement_run(scenario, tmp_path)
    page = client_for(scenario["approver"])

    response = page.post(
        f"/staff/settlement/statements/?run={run_id}",
        {"run": run_id, "reason": "clean run"},
        follow=True,
    )

    # Noah's $7.60 is approved; Olivia's $95.95 has 1 of its 2 approvals.
    text = response.content.decode()
    assert "Approved 1 clean statement(s); 1 await a second approver (1 of 2)." in text
    assert Statement.objects.get(pk=noah).state == "APPROVED"
    assert Statement.objects.get(pk=olivia).state == "DRAFT"


def test_an_approval_before_a_hold_does_not_count_after_it(scenario):
    # $95.95 needs two approvers from $50.00. Avery approves (1 of 2), then holds it: the
    # hold resets the approvals, so Blake's approval after it is again 1 of 2 and only
    # Avery's new approval completes it (and posts 9595 cents).
    ProgramSettlementSettings.objects.create(
        program=scenario["program"], two_approver_amount=Decimal("50.00")
    )
    starter = signed_in(scenario["starter"])
    statement_id = _only_statement(starter, _start(starter)["run_id"])["id"]
    avery, blake = signed_in(scenario["approver"]), signed_in(scenario["second"])
    participant = scenario["participant"]
    avery.post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "first look"}, format="json"
    )
    held = avery.post(
        f"/api/v1/staff/statements/{statement_id}/hold/", {"reason": "meter query"}, format="json"
    )
    assert held.json()["transitions"][-1]["reason"] == (
        "meter query (resets 1 approval given before the hold: it needs its approvals again)"
    )

    after_hold = blake.post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "ok"}, format="json"
    )

    assert after_hold.status_code == 200
    assert after_hold.json()["state"] == "HELD"
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 0

    again = avery.post(
        f"/api/v1/staff/statements/{statement_id}/approve/", {"reason": "cleared"}, format="json"
    )
    assert again.json()["state"] == "APPROVED"
    assert ledger_queries.participant_payable_cents(participant=participant, currency="USD") == 9595
    assert [(item["action"], item["actor"]) for item in again.json()["transitions"]] == [
        ("CREATE", None),
        ("APPROVE", "avery@utility.example.com"),
        ("HOLD", "avery@utility.example.com"),
        ("APPROVE", "blake@utility.example.com"),
        ("APPROVE", "avery@utility.example.com"),
    ]
