"""Hostile cells in an enrollment file are row errors (line, field, reason); the other rows
are kept and the command exits 0 (issue 18, item 7)."""

from decimal import Decimal

import pytest

from accounts.models import Charger, Site
from tests.integration.test_import_enrollments import GOOD_ROWS, nbt, run_import, write_csv

__all__ = ["nbt"]  # the fixture, used by name


def _charger_row(max_kw: str, *, email: str = "cy@example.com", line: int = 0) -> str:
    return (
        f"{email},Cy,INDIVIDUAL,nbt,ACC-{line},America/Los_Angeles,SM-{line},"
        f"EVSE_EXPORT,CP-{line},{max_kw},2025-03-01"
    )


@pytest.mark.django_db
def test_each_hostile_cell_is_a_row_error_and_the_other_rows_are_kept(tmp_path, nbt):
    rows = [
        GOOD_ROWS[0],
        _charger_row("0.0001", line=3),
        _charger_row("1e-9", line=4),
        _charger_row("9.99999", line=5),
        _charger_row("\u0663", line=6),
        "n@example.com," + "N" * 5000 + ",INDIVIDUAL,nbt,ACC-7,America/Los_Angeles,RM-7,"
        "SITE_EXPORT,,,2025-03-01",
        "m@example.com,Mo,INDIVIDUAL,nbt,ACC-8,America/Los_Angeles," + "M" * 200 + ","
        "SITE_EXPORT,,,2025-03-01",
        _charger_row("7.125", line=9),
    ]

    code, summary = run_import(write_csv(tmp_path, *rows))

    assert code == 0
    assert summary["errors"] == [
        {"line": 3, "field": "charger_max_kw", "reason": "0.0001 kW has more than 3 decimals"},
        {"line": 4, "field": "charger_max_kw", "reason": "1e-9 kW has more than 3 decimals"},
        {"line": 5, "field": "charger_max_kw", "reason": "9.99999 kW has more than 3 decimals"},
        {"line": 6, "field": "charger_max_kw", "reason": "'\u0663' is not a number"},
        {"line": 7, "field": "participant_name", "reason": "has 5000 characters, more than 200"},
        {"line": 8, "field": "meter_id", "reason": "has 200 characters, more than 64"},
    ]
    assert set(Site.objects.values_list("account_number", flat=True)) == {"ACC-1", "ACC-9"}
    assert list(Charger.objects.values_list("external_id", "max_discharge_kw")) == [
        ("CP-9", Decimal("7.125"))
    ]
