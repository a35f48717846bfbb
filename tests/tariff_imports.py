"""Running `import_tariff` from tests, and the sample files it reads."""

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command

FIXTURES = Path(__file__).resolve().parent / "fixtures"
URDB_FILE = FIXTURES / "tariffs" / "urdb_residential_tou_sell.json"
PGE_FILE = FIXTURES / "samples" / "pge" / "pge_nbt24_export_rates_2025.csv"
SCE_FILE = FIXTURES / "samples" / "sce" / "sce_export_credit_table_2024.csv"
LOS_ANGELES = "America/Los_Angeles"


def import_tariff(path: Path, *args: str) -> tuple[int, dict]:
    """Run the command; return its exit code and the JSON it printed."""
    out = StringIO()
    code = 0
    try:
        call_command("import_tariff", str(path), *args, stdout=out)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def urdb_rate() -> dict:
    """Return the one rate of the URDB sample as a dict (to write variants of it)."""
    return json.loads(URDB_FILE.read_text())["items"][0]


def write_json(tmp_path: Path, name: str, document: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
