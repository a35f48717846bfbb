"""A run started through the API is settled by a real Celery worker from the broker."""

import datetime as dt
import os
import time

import pytest
from rest_framework.test import APIClient

from accounts import operations as account_operations
from accounts import roles
from settlement.statements.models import SettlementRun, Statement
from tests.factories import UserFactory
from tests.integration.statements.helpers import (
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
)


@pytest.mark.integration
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL and a worker")
@pytest.mark.django_db(transaction=True)
def test_a_worker_settles_the_chunks_of_a_run(tmp_path):
    program = make_program()
    for number in range(3):
        enroll(program, f"p{number}@example.com", f"RM-{number}")
    # Each: 5 peak hours x 1.000 kWh x $0.30 = $1.50 on July 1.
    ingest_rows(
        tmp_path,
        [
            row
            for number in range(3)
            for row in hourly_rows(
                f"RM-{number}", dt.date(2025, 7, 1), 1, peak_or_off_peak(1000, 0)
            )
        ],
    )
    staff = UserFactory(email="riley@utility.example.com", is_staff=True)
    staff.groups.add(account_operations.ensure_staff_roles()[roles.REVIEWER])
    client = APIClient()
    client.force_authenticate(staff)

    response = client.post(
        "/api/v1/staff/runs/", {"program": program.code, "period": "2025-07"}, format="json"
    )
    assert response.status_code == 202

    run = SettlementRun.objects.get()
    for _ in range(150):
        run.refresh_from_db()
        if run.status != "RUNNING":
            break
        time.sleep(0.2)
    assert run.status == "COMPLETED", run.error
    assert [str(total) for total in Statement.objects.values_list("total", flat=True)] == [
        "1.50",
        "1.50",
        "1.50",
    ]
