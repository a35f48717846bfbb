"""Every JSON and CSV example in the README and docs/ is what its command or endpoint takes.

An input example (a rule file, an enrollment file, an aggregator batch) goes through the
command or endpoint that documents it; every other JSON example (a summary, an error) must at
least be JSON. A new example in a shape none of these knows fails here until it is covered.
"""

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts import operations as account_operations
from accounts.models import Participant
from settlement.metering import aggregators
from settlement.metering.models import Aggregator
from tests.settlement_fixtures import run_command

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
ENROLLMENT_HEADER = "participant_email,participant_name,participant_kind,program_code"
METER_CSV_HEADER = "meter_id,start,end,export_wh,import_wh,quality\n"
NOW = dt.datetime(2025, 7, 2, tzinfo=dt.UTC)


def _examples(language: str) -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for match in FENCE.finditer(document.read_text(encoding="utf-8")):
            if match.group(1) == language or (language == "csv" and match.group(1) == ""):
                found.append((document.name, match.group(2)))
    return found


JSON_EXAMPLES = _examples("json")
CSV_EXAMPLES = [
    (name, text) for name, text in _examples("csv") if text.startswith(ENROLLMENT_HEADER)
]
METER_CSV_EXAMPLES = [
    (name, text) for name, text in _examples("csv") if text.startswith(METER_CSV_HEADER)
]


def test_the_docs_hold_the_examples_this_test_runs():
    assert [name for name, _ in CSV_EXAMPLES] == ["README.md"]
    assert [name for name, _ in METER_CSV_EXAMPLES] == ["README.md"]
    assert sum("rules" in json.loads(text) for _, text in JSON_EXAMPLES) == 1


@pytest.mark.parametrize(("document", "text"), JSON_EXAMPLES)
def test_every_json_example_is_json(document, text):
    assert isinstance(json.loads(text), dict), document


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "text"), [(d, t) for d, t in JSON_EXAMPLES if "rules" in json.loads(t)]
)
def test_every_rule_file_example_imports(tmp_path, document, text):
    example = json.loads(text)
    account_operations.create_program(
        code=example["program"],
        name="Example",
        utility="Example utility",
        timezone="America/Los_Angeles",
        now=NOW,
    )
    path = tmp_path / "rules.json"
    path.write_text(text, encoding="utf-8")

    code, summary = run_command("import_rules", str(path), "--program", example["program"])

    assert (code, summary.get("outcome")) == (0, "created"), (document, summary)


@pytest.mark.django_db
def test_the_enrollment_example_imports_and_the_batch_example_posts(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"  # the ingested file is kept there
    [(_, csv_text)] = CSV_EXAMPLES
    account_operations.create_program(
        code="nbt-export",
        name="Net billing export credits",
        utility="Example utility",
        timezone="America/Los_Angeles",
        now=NOW,
    )
    path = tmp_path / "enrollments.csv"
    path.write_text(csv_text, encoding="utf-8")
    out = io.StringIO()
    call_command("import_enrollments", str(path), stdout=out)
    imported = json.loads(out.getvalue())
    # One row per channel: RM-1 export and import, SM-1 export.
    assert (imported["rejected"], imported["created"]) == (0, 3), imported

    # The README's aggregator batch is for the enrolled charger sub-meter SM-1.
    [batch] = [json.loads(t) for _, t in JSON_EXAMPLES if "idempotency_key" in json.loads(t)]
    aggregator = Aggregator.objects.create(name="Example aggregator")
    aggregator.participants.add(Participant.objects.get(email="ana@example.com"))
    api_user = aggregators.add_api_user(aggregator=aggregator, email="api@agg.example.com", now=NOW)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_user.token}")

    response = client.post("/api/v1/metering/batches/", batch, format="json")

    assert response.status_code in (200, 201), response.json()
    assert response.json()["accepted"] == 1

    # The README's canonical meter CSV, through the `ingest` command it documents, for the
    # enrolled revenue meter RM-1: 2500 Wh export on line 2, 2410 Wh export and 35 Wh
    # import on line 3, from 16:00 PDT on 2025-07-01 (23:00 UTC).
    [(_, meter_csv)] = METER_CSV_EXAMPLES
    path = tmp_path / "readings.csv"
    path.write_text(meter_csv, encoding="utf-8")

    code, ingested = run_command("ingest", str(path))

    assert code == 0, ingested
    assert (ingested["status"], ingested["accepted"], ingested["rejected"]) == ("PROCESSED", 3, 0)
    assert [
        (c["channel"], c["intervals"], c["wh"], c["first_start"]) for c in ingested["channels"]
    ] == [
        ("SITE_EXPORT", 2, 4910, "2025-07-01T23:00:00+00:00"),
        ("SITE_IMPORT", 1, 35, "2025-07-01T23:15:00+00:00"),
    ]
