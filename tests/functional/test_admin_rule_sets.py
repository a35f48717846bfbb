"""The admin checks a rule set as a whole, as the import, the staff page and the API do."""

import json

import pytest

from settlement.programs.models import Rule, RuleSet
from tests.factories import ProgramFactory, UserFactory
from tests.rule_files import rule_file

INCREMENTAL = rule_file()["rules"][0]
ACCEPTED = {
    "name": "accepted",
    "kind": "ACCEPTED_OFFER",
    "parameters": {"channel_kind": "EVSE_EXPORT"},
}


@pytest.fixture
def superuser_client(client, db):
    client.force_login(
        UserFactory(email="root@utility.example.com", is_staff=True, is_superuser=True)
    )
    return client


def _post(client, program, rules_given):
    data = {
        "program": program.pk,
        "version": 1,
        "effective_from": "2025-05-01",
        "effective_to": "",
        "source_name": "",
        "rules-TOTAL_FORMS": len(rules_given),
        "rules-INITIAL_FORMS": 0,
        "rules-MIN_NUM_FORMS": 0,
        "rules-MAX_NUM_FORMS": 1000,
    }
    for index, rule in enumerate(rules_given):
        data[f"rules-{index}-name"] = rule["name"]
        data[f"rules-{index}-kind"] = rule["kind"]
        data[f"rules-{index}-parameters"] = json.dumps(rule["parameters"])
    return client.post("/admin/programs/ruleset/add/", data)


@pytest.mark.django_db
def test_the_admin_refuses_a_set_that_pays_event_energy_twice(superuser_client):
    program = ProgramFactory(code="elrp-admin")

    response = _post(superuser_client, program, [INCREMENTAL, ACCEPTED])

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "rules: ACCEPTED_OFFER and EVENT_INCREMENTAL both pay events; keep one"
    ]
    assert (RuleSet.objects.count(), Rule.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_the_admin_saves_a_set_whose_rules_agree(superuser_client):
    program = ProgramFactory(code="elrp-admin")

    response = _post(superuser_client, program, [INCREMENTAL])

    assert response.status_code == 302
    assert list(Rule.objects.values_list("name", "kind")) == [("incremental", "EVENT_INCREMENTAL")]
