"""Two processes starting the same run at once: one settles, the other is refused."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from settlement.statements.models import SettlementRun, Statement
from tests.integration.statements.helpers import (
    enroll,
    hourly_rows,
    ingest_rows,
    make_program,
    peak_or_off_peak,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="separate processes need a shared database"
)
@pytest.mark.django_db(transaction=True)
def test_two_settle_processes_at_once_make_one_run(tmp_path):
    program = make_program()
    enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", dt.date(2025, 7, 1), 31, peak_or_off_peak(2000, 100)))
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "test-only"}
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [
        sys.executable,
        "manage.py",
        "settle",
        "--program",
        "nbt-export",
        "--period",
        "2025-07",
    ]

    processes = [
        subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    outcomes = sorted(
        (process.returncode, json.loads(output))
        for process, output in zip(processes, outputs, strict=True)
    )

    (ok_code, summary), (refused_code, refusal) = outcomes
    assert (ok_code, summary["status"], summary["total"]) == (0, "completed", "95.95")
    assert refused_code == 2
    assert refusal["error"]["code"] in {"run_not_allowed", "run_in_progress"}
    assert SettlementRun.objects.count() == 1
    assert Statement.objects.count() == 1
