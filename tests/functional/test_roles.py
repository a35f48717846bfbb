"""Who may act for a participant: every write, page and API, walked with every role.

OWNER and MANAGER act; a VIEWER reads only (403); another participant's owner and staff,
who are no member, are told the object does not exist (404) - except uploads, where staff
may send the utility's data for any site; a visitor who is not signed in is sent to sign
in (pages) or told to authenticate (API, 401).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import access
from accounts.models import Membership, User
from settlement.events.models import BatterySetting, Offer, OfferResponse, StandingRuleVersion
from settlement.metering.models import Upload
from settlement.payouts.models import PayoutAccount
from tests import event_fixtures
from tests.clients import signed_in
from tests.factories import MembershipFactory, UserFactory
from tests.metering_fixtures import canonical

ROLES = ("owner", "manager", "viewer", "other_owner", "staff", "anonymous")


@dataclass
class World:
    """A participant with an owner, a manager and a viewer, an open offer, and outsiders."""

    users: dict[str, User | None]
    offer: Offer

    def client(self, role: str) -> Client:
        user = self.users[role]
        return APIClient() if user is None else signed_in(user)


@pytest.fixture
def world(db: None, reviewer: User) -> World:
    program = event_fixtures.program_with(event_fixtures.offer_rules())
    fleet = event_fixtures.Owner(program, email="fleet@example.org")
    other = event_fixtures.Owner(program, email="other@example.org")
    manager = UserFactory(email="manager@example.org")
    MembershipFactory(user=manager, participant=fleet.participant, role=Membership.Role.MANAGER)
    viewer = UserFactory(email="viewer@example.org")
    MembershipFactory(user=viewer, participant=fleet.participant, role=Membership.Role.VIEWER)
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    event = event_fixtures.dispatch(
        program, start, start + dt.timedelta(hours=2), now=timezone.now()
    )
    users: dict[str, User | None] = {
        "owner": fleet.user,
        "manager": manager,
        "viewer": viewer,
        "other_owner": other.user,
        "staff": reviewer,
        "anonymous": None,
    }
    return World(users=users, offer=event.offers.get(participant=fleet.participant))


def _upload(world: World, client: Client):
    row = f"SM-{world.offer.participant_id},2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,,"
    return client.post(
        "/api/v1/metering/uploads/",
        {
            "file": SimpleUploadedFile("data.csv", canonical(row)),
            "site_id": world.offer.enrollment.site_id,
        },
        format="multipart",
    )


WRITES: dict[str, Callable[[World, Client], object]] = {
    "api offer accept": lambda w, c: c.post(
        f"/api/v1/offers/{w.offer.pk}/accept/", {"committed_kw": "5"}, format="json"
    ),
    "api offer decline": lambda w, c: c.post(f"/api/v1/offers/{w.offer.pk}/decline/"),
    "page offer accept": lambda w, c: c.post(
        f"/offers/{w.offer.pk}/accept/", {"committed_kw": "5"}
    ),
    "page offer decline": lambda w, c: c.post(f"/offers/{w.offer.pk}/decline/", {"confirm": "yes"}),
    "api standing rule create": lambda w, c: c.post(
        "/api/v1/standing-rules/",
        {"name": "over $1", "min_price_per_kwh": "1", "participant_id": w.offer.participant_id},
        format="json",
    ),
    "page standing rule create": lambda w, c: c.post(
        f"/answers/new/{w.offer.participant_id}/",
        {"name": "over $1", "min_price_per_kwh": "1", "weekdays": ["1", "2"]},
    ),
    "page battery": lambda w, c: c.post(
        f"/answers/battery/{w.offer.enrollment.site.chargers.get().pk}/",
        {"usable_kwh": "40", "wear_cost_per_kwh": "0.10"},
    ),
    "api upload": _upload,
    "page payout connect": lambda w, c: c.post(
        f"/payouts/accounts/{w.offer.participant_id}/connect/"
    ),
    "page payout refresh": lambda w, c: c.get(
        f"/payouts/accounts/{w.offer.participant_id}/refresh/"
    ),
    "page payout return": lambda w, c: c.get(f"/payouts/accounts/{w.offer.participant_id}/return/"),
}

# The exact answer of each write to each role. Pages that succeed redirect (302) to the
# page listing the result; a page's anonymous 302 goes to the sign-in page instead (checked
# below by the Location).
# The exact answer of each write to each role, in the order of ROLES: owner, manager,
# viewer, other_owner, staff, anonymous. Pages that succeed redirect (302) to the page
# listing the result; a page's anonymous 302 goes to the sign-in page (checked by Location).
ANSWERS = {
    "api offer accept": (200, 200, 403, 404, 404, 401),
    "api offer decline": (200, 200, 403, 404, 404, 401),
    "page offer accept": (302, 302, 403, 404, 404, 302),
    "page offer decline": (302, 302, 403, 404, 404, 302),
    "api standing rule create": (201, 201, 403, 404, 404, 401),
    "page standing rule create": (302, 302, 403, 404, 404, 302),
    "page battery": (302, 302, 403, 404, 404, 302),
    "api upload": (201, 201, 403, 404, 201, 401),
    "page payout connect": (302, 302, 403, 404, 404, 302),
    "page payout refresh": (302, 302, 403, 404, 404, 302),
    "page payout return": (302, 302, 403, 404, 404, 302),
}
EXPECTED = {write: dict(zip(ROLES, answers, strict=True)) for write, answers in ANSWERS.items()}

# The model a write that was let through adds a row to; a refused one adds none.
SIDE_EFFECT: dict[
    str,
    type[OfferResponse] | type[Upload] | type[StandingRuleVersion] | type[BatterySetting],
] = {
    "api offer accept": OfferResponse,
    "api offer decline": OfferResponse,
    "page offer accept": OfferResponse,
    "page offer decline": OfferResponse,
    "api standing rule create": StandingRuleVersion,
    "page standing rule create": StandingRuleVersion,
    "page battery": BatterySetting,
    "api upload": Upload,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_answers_each_role_exactly(world, write, role, settings):
    settings.STRIPE_SECRET_KEY = ""  # no Stripe: an allowed payout write says so on /payouts/

    response = WRITES[write](world, world.client(role))

    assert response.status_code == EXPECTED[write][role]
    if response.status_code == 403 and write.startswith("api"):
        assert response.json()["error"]["code"] == "permission_denied"
    if response.status_code == 302:
        listing = (
            "/payouts/"
            if "payout" in write
            else "/answers/"
            if "standing" in write or "battery" in write
            else "/offers/"
        )
        expected_page = "/accounts/login/" if role == "anonymous" else listing
        assert response["Location"].split("?")[0] == expected_page
    if write in SIDE_EFFECT:
        allowed = EXPECTED[write][role] in (200, 201, 302) and role != "anonymous"
        assert SIDE_EFFECT[write].objects.exists() is allowed
    assert PayoutAccount.objects.exists() is False


def test_the_write_walk_covers_every_write_endpoint():
    assert set(EXPECTED) == set(WRITES)
    assert all(set(answers) == set(ROLES) for answers in EXPECTED.values())


@pytest.mark.django_db
def test_a_viewer_sees_the_offer_but_no_form_to_answer_it(world):
    accept = f'action="/offers/{world.offer.pk}/accept/"'
    decline = f'action="/offers/{world.offer.pk}/decline/"'

    viewer_page = world.client("viewer").get("/offers/").content.decode()
    owner_page = world.client("owner").get("/offers/").content.decode()

    assert f'data-offer="{world.offer.pk}"' in viewer_page
    assert accept not in viewer_page and decline not in viewer_page
    assert "You may view this offer; an owner or manager answers it." in viewer_page
    assert accept in owner_page and decline in owner_page


@pytest.mark.django_db
def test_a_viewer_reads_the_payout_account_state_with_no_button_to_change_it(world, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_configured"
    connect = f'action="/payouts/accounts/{world.offer.participant_id}/connect/"'
    page = f"/payouts/accounts/{world.offer.participant_id}/"

    viewer_page = world.client("viewer").get(page)
    owner_page = world.client("owner").get(page)

    assert viewer_page.status_code == 200
    assert connect not in viewer_page.content.decode()
    assert connect in owner_page.content.decode()


@pytest.mark.django_db
def test_may_act_for_is_true_for_owners_and_managers_only(world):
    participant = world.offer.participant
    answers = {
        role: access.may_act_for(user=user, participant=participant)
        for role, user in world.users.items()
        if user is not None
    }

    assert answers == {
        "owner": True,
        "manager": True,
        "viewer": False,
        "other_owner": False,
        "staff": False,
    }


@pytest.mark.django_db
def test_an_inactive_owner_may_not_act(world):
    owner = world.users["owner"]
    assert owner is not None
    owner.is_active = False
    owner.save()

    assert access.may_act_for(user=owner, participant=world.offer.participant) is False
