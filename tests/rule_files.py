"""Program rule files for tests: a small valid one to vary, writing it, running `import_rules`.

Shared by integration and functional tests, so it lives at the top of `tests/`.
"""

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command

DEMO_RULES = (
    Path(__file__).resolve().parents[1] / "settlement" / "demo" / "data" / "elrp_v2g_rules.json"
)


def import_rules(path: Path, program: str) -> tuple[int, dict]:
    """Run the command; return its exit code and the JSON it printed."""
    out = StringIO()
    code = 0
    try:
        call_command("import_rules", str(path), "--program", program, stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def rule_file(**changes: object) -> dict:
    """Return a rule file with one incremental rule and the event constraints."""
    document = {
        "effective_from": "2025-05-01",
        "effective_to": None,
        "rules": [
            {
                "name": "incremental",
                "kind": "EVENT_INCREMENTAL",
                "parameters": {
                    "channel_kind": "EVSE_EXPORT",
                    "price_per_kwh": "2.00",
                    "baseline": {
                        "method": "X_OF_Y",
                        "weekday": {"days": 10, "of_days": 10},
                        "weekend_holiday": {"days": 4, "of_days": 4},
                    },
                },
            },
            {
                "name": "constraints",
                "kind": "EVENT_CONSTRAINTS",
                "parameters": {"season_months": [5, 6, 7, 8, 9, 10], "yearly_hour_cap": 60},
            },
        ],
    }
    document.update(changes)
    return document


def write(tmp_path: Path, document: object, name: str = "rules.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
