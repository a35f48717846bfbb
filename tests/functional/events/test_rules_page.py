"""The staff rules page loads a rule set through the same validation as import_rules."""

import json

import pytest

from accounts import roles
from settlement.programs.models import RuleSet
from tests.factories import ProgramFactory, UserFactory
from tests.rule_files import rule_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(staff_roles):
    user = UserFactory(email="programs@utility.example.com", is_staff=True)
    user.groups.add(staff_roles[roles.PROGRAM_ADMINISTRATOR])
    return user


def test_a_bad_rule_file_on_the_page_names_the_field_and_stores_nothing(client, administrator):
    ProgramFactory(code="elrp")
    client.force_login(administrator)
    bad = rule_file()
    bad["rules"][0]["parameters"]["price_per_kwh"] = "two"

    page = client.post("/staff/programs/elrp/rules/", {"document": json.dumps(bad)})

    assert page.status_code == 200
    assert (
        "rules[0].parameters.price_per_kwh: &#x27;two&#x27; is not a decimal number"
        in page.content.decode()
    )
    assert RuleSet.objects.count() == 0


def test_a_good_rule_file_on_the_page_becomes_a_version(client, administrator):
    ProgramFactory(code="elrp")
    client.force_login(administrator)

    page = client.post(
        "/staff/programs/elrp/rules/", {"document": json.dumps(rule_file())}, follow=True
    )

    assert "Rule set v1: created." in page.content.decode()
    assert RuleSet.objects.get().rules.count() == 2


def test_a_reviewer_sees_the_rules_but_cannot_load_them(client, reviewer):
    ProgramFactory(code="elrp")
    client.force_login(reviewer)

    assert client.get("/staff/programs/elrp/rules/").status_code == 200
    assert client.post("/staff/programs/elrp/rules/", {"document": "{}"}).status_code == 404
    assert RuleSet.objects.count() == 0
