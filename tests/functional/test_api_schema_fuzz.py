"""Schemathesis against the live OpenAPI schema, as an owner, a staff member and an aggregator.

The service runs on a real HTTP server (gunicorn, started here on a free port, on this
test's PostgreSQL database, one fresh server per caller) with the demo data set: owners with sites, meters and a week of readings, a settled month with
statements, dispatch events with offers, payouts. Each of the three callers' tokens drives
one `st run` over every operation of `/api/schema/`; half the ids and codes it sends are real
ones (its dictionaries below), so the fuzzer gets past 404 into the views' own logic. Every
response must be a non-5xx, with a status code the schema documents for that operation, a
body that matches the schema documented for that code, and the documented content type; a
request the schema calls invalid must be refused (ST201), and one it calls valid must not be
refused as malformed, a 400 (ST202). The hooks of `fuzz_hooks.py` keep valid cases within
the rules no schema can state (date ranges, event windows); docs/testing.md says why the
three exceptions written in `_config` are there.

Bounded: a fixed number of examples per operation, deterministic generation (the same cases
every run), one worker, and a hard time limit per caller (docs/testing.md has the figures).
"""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import operations as account_operations
from accounts import roles
from accounts.models import Channel, Charger, Participant, Program, Site, User
from settlement.demo import seed
from settlement.events.models import DispatchEvent, Offer
from settlement.metering import aggregators
from settlement.metering.models import Aggregator, AggregatorParticipant, Upload
from settlement.payouts.models import Payout
from settlement.statements.models import SettlementRun, Statement
from settlement.tariffs.models import TariffPlan
from tests import live_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.fuzz,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the fuzz run is on PostgreSQL (CI stage 2)"
    ),
]

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "content_type_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)
# Test cases per operation in the fuzzing phase; the examples and coverage phases add their
# own (deterministic boundary and invalid values of every parameter and field).
MAX_EXAMPLES = 10
# What a request the schema calls valid may get (ST202): schemathesis' default.
POSITIVE_EXPECTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# The two operations that check a credential in the body or a header, which no schema can
# generate: a password (the token endpoint) and a signature made with the webhook secret.
# They answer 400 to a well-formed request with a wrong one; ST202 allows that 400 here
# only, as schemathesis itself does for an operation it knows mints credentials (an OAuth2
# `tokenUrl`; this API's tokens are DRF's, which declare none).
CREDENTIAL_CHECKS = ("/api/v1/auth/token/", "/api/v1/stripe/webhooks/")
RUN_TIMEOUT_S = 420
WEBHOOK_SECRET = "whsec_fuzz"
STAFF_EMAIL = "fuzz-staff@utility.example.com"
AGGREGATOR_EMAIL = "api@fuzz-aggregator.example.com"


@pytest.fixture
def tokens(transactional_db: None, tasks_in_process: None) -> dict[str, str]:
    """The demo data set, committed for the server to see, and a token for an owner, a staff
    member and an aggregator."""
    now = timezone.now()
    seed.seed_demo(now=now)
    owner = User.objects.get(email="owner01@example.com")
    groups = account_operations.ensure_staff_roles()
    staff = User.objects.create_user(
        STAFF_EMAIL, full_name="Fuzz Staff", is_staff=True, date_joined=now
    )
    # Every staff role, so every staff operation is reachable with one token.
    staff.groups.add(*(groups[role] for role in roles.ROLE_PERMISSIONS))
    aggregator = Aggregator.objects.create(name="Fuzz Aggregator")
    for email in ("owner02@example.com", seed.FLEET_EMAIL):
        AggregatorParticipant.objects.create(
            aggregator=aggregator, participant=Participant.objects.get(email=email)
        )
    api_user = aggregators.add_api_user(aggregator=aggregator, email=AGGREGATOR_EMAIL, now=now)
    return {
        "owner": Token.objects.get_or_create(user=owner)[0].key,
        "staff": Token.objects.get_or_create(user=staff)[0].key,
        "aggregator": api_user.token,
    }


def _ids(model: type) -> list[int]:
    return list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])  # type: ignore[attr-defined]


def _config(path: Path) -> Path:
    """Write schemathesis.toml: the real ids and codes, sent in half the generated cases."""
    dictionaries = {
        "upload_id": _ids(Upload),
        "offer_id": _ids(Offer),
        "payout_id": _ids(Payout),
        "event_id": _ids(DispatchEvent),
        "run_id": _ids(SettlementRun),
        "statement_id": _ids(Statement),
        "site_id": _ids(Site),
        "charger_id": _ids(Charger),
        "participant_id": _ids(Participant),
        "program": list(Program.objects.values_list("code", flat=True)),
        "tariff": list(TariffPlan.objects.values_list("code", flat=True)),
        "meter": sorted(set(Channel.objects.values_list("meter_id", flat=True)))[:20],
        "period": ["2025-07", "2025-06"],
        "date": ["2025-07-14", "2025-07-21"],
    }
    bindings = {
        "path.upload_id": "upload_id",
        "path.offer_id": "offer_id",
        "path.payout_id": "payout_id",
        "path.event_id": "event_id",
        "path.run_id": "run_id",
        "path.statement_id": "statement_id",
        "path.code": "program",
        "body.site_id": "site_id",
        "path.charger_id": "charger_id",
        "body.charger_id": "charger_id",
        "body.participant_id": "participant_id",
        "body.run": "run_id",
        "query.run": "run_id",
        "body.program": "program",
        "query.program": "program",
        "query.tariff": "tariff",
        "query.meter": "meter",
        "query.meter_id": "meter",
        "body.meter_id": "meter",
        "body.readings[*].meter_id": "meter",
        "query.period": "period",
        "body.period": "period",
        "query.start": "date",
        "query.end": "date",
    }
    # The checks are chosen here, not with `--checks`: a check named on the command line is
    # on for every operation and phase, whatever the file says for one of them (below).
    lines = ["[checks]\nenabled = false\n"]
    lines.extend(f"[checks.{check}]\nenabled = true\n" for check in CHECKS)
    for name, values in dictionaries.items():
        lines.append(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")
    lines.append("[parameters]")
    for key, name in bindings.items():
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    for operation in CREDENTIAL_CHECKS:
        lines.append(
            f'\n[[operations]]\ninclude-path = "{operation}"\n'
            "[operations.checks.positive_data_acceptance]\n"
            f"expected-statuses = {json.dumps(['400', *POSITIVE_EXPECTED])}"
        )
    # schemathesis 4.32's stateful phase fills an upload's `site_id` from `GET /me/` (a link)
    # over the value it had made invalid, then still reports the request, now valid, as
    # invalid data accepted (ST201, "Invalid component: positive test case"). The coverage
    # and fuzzing phases check the upload's invalid data; the stateful phase does not.
    lines.append(
        '\n[[operations]]\ninclude-path = "/api/v1/metering/uploads/"\n'
        "[operations.phases.stateful.checks.negative_data_rejection]\nenabled = false"
    )
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def _server(log: Path) -> Iterator[str]:
    """Run gunicorn on this test's database; yield its base URL.

    No broker: the tasks it dispatches (a run's chunks) run in its own process, never on CI's
    shared worker. A fresh process per caller starts with no sign-in throttle counts (they
    live in its memory); django-axes' attempts are in the database and are cleared here.
    """
    AccessAttempt.objects.all().delete()
    port = live_server.free_port()
    with live_server.gunicorn(log, port=port, env={"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}):
        yield f"http://127.0.0.1:{port}"


# What each caller's run leaves out, to spend the time where its token matters: the staff
# token goes everywhere; the owner's and the aggregator's skip the staff operations (they
# answer 403 to anyone else, tests/functional/test_staff_access.py) and the two that read
# no token (sign-in, Stripe's webhook), which the staff run already covers.
# One regular expression each: schemathesis keeps only the last of several.
NOT_FOR_THEM = "^/api/v1/(staff/|auth/token/$|stripe/webhooks/$)"
LEFT_OUT = {"owner": NOT_FOR_THEM, "staff": None, "aggregator": NOT_FOR_THEM}


def _summary(output: str) -> str:
    """Return the operations a run tested and the test cases it sent, from its summary."""
    tested = re.search(r"Tested: (\d+)", output)
    generated = re.search(r"(\d+) generated", output)
    return (
        f"{tested.group(1) if tested else '?'} operations, "
        f"{generated.group(1) if generated else '?'} test cases"
    )


@pytest.mark.timeout(3 * RUN_TIMEOUT_S + 180)
def test_every_operation_answers_as_its_schema_says_for_each_caller(
    tokens: dict[str, str], tmp_path: Path
) -> None:
    config = _config(tmp_path / "schemathesis.toml")
    failed = {}
    for caller, token in tokens.items():
        started = dt.datetime.now(dt.UTC)
        regex = LEFT_OUT[caller]
        left_out = ["--exclude-path-regex", regex] if regex else []
        log = tmp_path / f"server-{caller}.log"
        with _server(log) as url:
            run = _fuzz(url=url, token=token, config=config, left_out=left_out)
        elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
        figures = f"exit {run.returncode} in {elapsed:.0f} s, {_summary(run.stdout)}"
        print(f"fuzz as {caller}: {figures}")  # noqa: T201 - the figures of docs/testing.md
        if run.returncode != 0:
            server_log = log.read_text()[-6000:]
            failed[caller] = f"{run.stdout[-20000:]}{run.stderr[-4000:]}\n-- server\n{server_log}"
    assert not failed, "\n\n".join(f"==== as {who}\n{out}" for who, out in failed.items())


def _fuzz(
    *, url: str, token: str, config: Path, left_out: list[str]
) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{url}/api/schema/",
            "--wait-for-schema",
            "60",
            "--header",
            f"Authorization: Token {token}",
            "--phases",
            # The stateful phase chains operations by the links schemathesis infers from
            # the response schemas and path parameters (an upload's id into its report).
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--no-color",
            *left_out,
        ],
        # The hooks keep the date ranges of valid cases within the rule no schema can state.
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.functional.fuzz_hooks"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
