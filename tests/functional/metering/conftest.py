import pytest

from accounts.models import User
from settlement.metering.models import Aggregator, AggregatorParticipant
from tests.factories import MembershipFactory, UserFactory
from tests.metering_fixtures import (  # noqa: F401
    charger_meter,
    media_in_tmp,
    other_site,
    program_settings,
    run_ingest,
    site,
)


@pytest.fixture
def site_owner(site) -> User:  # noqa: F811 - `site` is the fixture imported above
    """The owner of the `site` fixture's participant."""
    user = UserFactory(email="site-owner@example.com")
    MembershipFactory(user=user, participant=site.participant)
    return user


@pytest.fixture
def aggregator_user(site) -> User:  # noqa: F811 - the fixture imported above
    """A user of an aggregator that represents the `site` fixture's participant."""
    user = UserFactory(email="api@aggregator.example.com")
    aggregator = Aggregator.objects.create(name="Fleet Aggregator")
    aggregator.users.add(user)
    AggregatorParticipant.objects.create(aggregator=aggregator, participant=site.participant)
    return user
