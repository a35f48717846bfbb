"""Every VTN endpoint's answers against the OpenADR 3.1.0 `openadr3.yaml` itself.

The specification's `openadr3.yaml` (Apache-2.0, from the OpenADR Alliance) is kept as test
data in `tests/fixtures/openadr3/`; `OPENADR3_SPEC` points the test at another copy. Each response is checked three ways: its status is one the operation documents (or
one the Definition's table of codes gives its method), its body validates against the documented
schema (schemathesis, the spec's own schema, not ours), and every error is a `problem`.
"""

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import schemathesis
import yaml
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.transport import Response

from tests.functional.openadr import vtn_walk

DEFAULT_SPEC = Path(settings.BASE_DIR) / "tests/fixtures/openadr3/3.1.0/openadr3.yaml"
SPEC = Path(os.environ.get("OPENADR3_SPEC") or DEFAULT_SPEC)
# The Definition's "Response Codes and Errors" table: the codes a VTN SHALL support per
# method, whether or not the operation in openadr3.yaml lists them (createVen has no 409;
# the read_all MQTT topic endpoints have no 403).
DEFINITION_STATUSES = {
    "get": {200, 400, 403, 404, 500},
    "post": {201, 400, 403, 404, 409, 500},
    "put": {200, 400, 403, 404, 409, 500},
    "delete": {200, 400, 403, 404, 500},
}
# "Servers may implement other response codes": this one for a method a path lacks.
EXTRA_STATUSES = {405}

pytestmark = pytest.mark.django_db


def _load() -> dict[str, Any]:
    # YAML reads the examples' dates as datetimes; JSON Schema wants them as the text.
    document: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(SPEC.read_text()), default=str))
    schemas = document["components"]["schemas"]
    # Erratum of 3.1.0: the server's `ven` and `resource` are allOf objectMetadata (whose
    # objectType must be VEN / RESOURCE) and the BL request (whose objectType must be
    # BL_VEN_REQUEST / BL_RESOURCE_REQUEST): no object satisfies both. The request's
    # discriminator is dropped from the server representations only; everything else of
    # the request schema (clientID, venName, resourceName, venID required) still applies.
    for name, request in (("ven", "BlVenRequest"), ("resource", "BlResourceRequest")):
        server_request = copy.deepcopy(schemas[request])
        server_request["properties"].pop("objectType")
        server_request["required"].remove("objectType")
        schemas[f"{request}AsServed"] = server_request
        schemas[name]["allOf"] = [
            {"$ref": f"#/components/schemas/{request}AsServed"}
            if part == {"$ref": f"#/components/schemas/{request}"}
            else part
            for part in schemas[name]["allOf"]
        ]
    return document


@dataclass
class Contract:
    """The spec's operations, and what each checked answer broke."""

    document: dict[str, Any]
    schema: Any
    broken: list[str] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def check(self, answer: HttpResponse, *, method: str, template: str, path: str) -> None:
        """Record every way `answer` to `method path` breaks the spec's `template` operation."""
        where = f"{method.upper()} {template} -> {answer.status_code}"
        self.seen.add((method.lower(), template))
        operation = self.document["paths"][template][method.lower()]
        documented = {int(code) for code in operation["responses"] if code.isdigit()}
        allowed = documented | DEFINITION_STATUSES[method.lower()] | EXTRA_STATUSES
        if answer.status_code not in allowed:
            self.broken.append(f"{where}: status not documented ({sorted(documented)})")
        if answer.status_code >= 400:
            self._problem(answer, where=where)
        if answer.status_code in documented:
            self._documented(answer, method=method, template=template, path=path, where=where)

    def _problem(self, answer: HttpResponse, *, where: str) -> None:
        if not answer["Content-Type"].endswith("json"):
            self.broken.append(f"{where}: an error that is not JSON")
            return
        problem = self.document["components"]["schemas"]["problem"]
        errors = list(jsonschema.Draft4Validator(problem).iter_errors(answer.json()))
        if errors:
            self.broken.append(f"{where}: not a problem: {errors[0].message}")

    def _documented(
        self, answer: HttpResponse, *, method: str, template: str, path: str, where: str
    ) -> None:
        wire = Response(
            status_code=answer.status_code,
            headers={name: [value] for name, value in answer.headers.items()},
            content=answer.content,
            request=requests.Request(method.upper(), f"http://testserver{path}").prepare(),
            elapsed=0.0,
            verify=True,
        )
        try:
            self.schema[template][method.upper()].validate_response(wire)
        except FailureGroup as failures:
            for failure in failures.exceptions:
                self.broken.append(f"{where}: {failure.title}: {failure.message[:300]}")
        except Failure as failure:
            self.broken.append(f"{where}: {failure.title}: {failure.message[:300]}")


@pytest.fixture(scope="module")
def spec_document() -> dict[str, Any]:
    return _load()


@pytest.fixture
def contract(spec_document: dict[str, Any]) -> Contract:
    return Contract(
        document=spec_document,
        schema=schemathesis.openapi.from_dict(copy.deepcopy(spec_document)),
    )


def test_every_endpoint_answers_as_the_specification_says(
    client: Client, contract: Contract, settings: Any
) -> None:
    vtn_walk.configure(settings)

    vtn_walk.walk(
        client,
        lambda answer, method, template, path: contract.check(
            answer, method=method, template=template, path=path
        ),
        operations=["CREATE", "UPDATE", "DELETE"],
    )

    assert contract.broken == [], "\n".join(contract.broken)
    every = {
        (method, template)
        for template, item in contract.document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete")
    }
    assert sorted(every - contract.seen) == []
