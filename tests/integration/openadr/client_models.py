"""Run by Python 3.12 in `.venv-oadr`: the VTN's answers through ElaadNL's pydantic models.

Reads JSON lines `{"kind", "many", "where", "body"}` on stdin and validates each body with
the model the client itself reads that answer with (a list of them when `many`). Prints one
JSON line: the list of `"where: error"` strings (empty when every body is accepted). Not
collected by pytest and never imported by the service: it is the outside client's view.
"""

import json
import sys

from openadr3_client.oadr310.models.auth.auth_server import AuthServerInfo
from openadr3_client.oadr310.models.event.event import ExistingEvent
from openadr3_client.oadr310.models.notifiers.mqtt.mqtt import MqttTopicInformation
from openadr3_client.oadr310.models.notifiers.response import NotifierDetails
from openadr3_client.oadr310.models.program.program import ExistingProgram
from openadr3_client.oadr310.models.report.report import ExistingReport
from openadr3_client.oadr310.models.resource.resource import ExistingResource
from openadr3_client.oadr310.models.subscriptions.subscription import ExistingSubscription
from openadr3_client.oadr310.models.ven.ven import ExistingVen
from pydantic import TypeAdapter, ValidationError

MODELS = {
    "PROGRAM": ExistingProgram,
    "EVENT": ExistingEvent,
    "REPORT": ExistingReport,
    "SUBSCRIPTION": ExistingSubscription,
    "VEN": ExistingVen,
    "RESOURCE": ExistingResource,
    "NOTIFIERS": NotifierDetails,
    "TOPICS": MqttTopicInformation,
    "AUTH_SERVER": AuthServerInfo,
}


def main() -> None:
    broken = []
    for line in sys.stdin:
        item = json.loads(line)
        model = MODELS[item["kind"]]
        adapter = TypeAdapter(list[model] if item["many"] else model)
        try:
            adapter.validate_python(item["body"])
        except ValidationError as error:
            broken.append(f"{item['where']}: {error}")
    sys.stdout.write(json.dumps(broken) + "\n")


if __name__ == "__main__":
    main()
