"""Who may act for a participant: every write, page and API, walked with every role.

OWNER and MANAGER act; a VIEWER reads only (403); another participant's owner and staff,
who are no member, are told the object does not exist (404) - except uploads, where staff
may send the utility's data for any site; a visitor who is not signed in is sent to sign
in (pages) or told to authenticate (API, 401).

The writes are found in the URL resolver, not listed by hand: every portal and /api/v1/
route whose view takes POST, PUT, PATCH or DELETE (a portal view that does not restrict its
methods counts as taking them all) must have a case in the walk below, or be excluded here
with its reason, so a new write without a case fails the walk.
"""

import datetime as dt
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import access
from accounts.models import Membership, User
from settlement.events import operations as event_operations
from settlement.events.models import (
    BatterySetting,
    Offer,
    OfferResponse,
    StandingRule,
    StandingRuleVersion,
)
from settlement.metering.models import Upload
from settlement.payouts.models import PayoutAccount
from tests import event_fixtures
from tests.clients import signed_in
from tests.factories import MembershipFactory, UserFactory
from tests.metering_fixtures import canonical

ROLES = ("owner", "manager", "viewer", "other_owner", "staff", "anonymous")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@pytest.fixture(autouse=True)
def quick_passwords(settings) -> None:
    """Every case makes eight users; nobody here signs in with a password (clients are
    logged in directly), so a quick hasher spares 126 cases eight PBKDF2 hashes each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Routes no participant's member writes through, each for its reason.
NOT_A_MEMBERS_WRITE = {
    "admin/": "Django admin: staff only (tests/functional/test_staff_access.py)",
    "staff/": "staff pages: staff roles, not memberships (test_staff_access.py)",
    "api/v1/staff/": "staff API: staff roles, not memberships (test_staff_access.py)",
    "accounts/": "sign-in, sign-out, password reset and invitation acceptance",
    "api/v1/auth/": "the token endpoint: sign-in",
    "api/v1/stripe/webhooks/": "Stripe's webhooks: signed by Stripe, no user",
    "openadr3/": "the OpenADR VTN: its own client credentials (tests/functional/openadr)",
}
# Writes a user makes to their own account, whatever their role in any participant: a
# viewer is notified like an owner and may mark their own notifications read and choose
# which ones they get; nothing of a participant changes.
PER_USER_WRITES = {
    ("notifications/read/", "POST"),
    ("notifications/<int:notification_id>/open/", "POST"),
    ("notifications/preferences/", "POST"),
    ("api/v1/notifications/read/", "POST"),
    ("api/v1/notifications/preferences/", "PATCH"),
}
# Writes made by a GET, which the resolver cannot tell from a read: Stripe sends the owner
# back to these links after onboarding, and each asks Stripe for the account's state or a
# fresh link.
GET_WRITES = {
    ("payouts/accounts/<int:participant_id>/refresh/", "GET"),
    ("payouts/accounts/<int:participant_id>/return/", "GET"),
}


def _routes(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, Callable[..., object]]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def _methods(view: Callable[..., object]) -> frozenset[str]:
    """Return the HTTP methods `view` takes: a class view's handlers, or the list of the
    function's require_http_methods (require_POST, require_safe), or every one."""
    view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if view_class is not None:
        return frozenset(m.upper() for m in view_class.http_method_names if hasattr(view_class, m))
    function: Callable[..., object] | None = view
    while function is not None:
        allowed = inspect.getclosurevars(function).nonlocals.get("request_method_list")
        if allowed is not None:
            return frozenset(allowed)
        function = getattr(function, "__wrapped__", None)
    return WRITE_METHODS | {"GET", "HEAD"}


def members_writes() -> set[tuple[str, str]]:
    """Return (route, method) of every write a participant's member may attempt."""
    return {
        (route, method)
        for route, view in _routes(get_resolver().url_patterns)
        if not route.startswith(tuple(NOT_A_MEMBERS_WRITE))
        for method in _methods(view) & WRITE_METHODS
    } - PER_USER_WRITES


@dataclass
class World:
    """A participant with an owner, a manager, a viewer and a member to manage, an open
    offer, a standing rule, and outsiders."""

    users: dict[str, User | None]
    offer: Offer
    rule: StandingRule
    board: Membership

    def client(self, role: str) -> Client:
        user = self.users[role]
        return APIClient() if user is None else signed_in(user)

    @property
    def participant_id(self) -> int:
        return self.offer.participant_id

    @property
    def charger_id(self) -> int:
        return self.offer.enrollment.site.chargers.get().pk


@pytest.fixture
def world(db: None, reviewer: User) -> World:
    program = event_fixtures.program_with(event_fixtures.offer_rules())
    fleet = event_fixtures.Owner(program, email="fleet@example.org")
    other = event_fixtures.Owner(program, email="other@example.org")
    manager = UserFactory(email="manager@example.org")
    MembershipFactory(user=manager, participant=fleet.participant, role=Membership.Role.MANAGER)
    viewer = UserFactory(email="viewer@example.org")
    MembershipFactory(user=viewer, participant=fleet.participant, role=Membership.Role.VIEWER)
    board = MembershipFactory(
        user=UserFactory(email="board@example.org"),
        participant=fleet.participant,
        role=Membership.Role.VIEWER,
    )
    rule = event_operations.create_standing_rule(
        participant=fleet.participant,
        terms=event_operations.StandingTerms(name="over $2", min_price_per_kwh=Decimal(2)),
        user=fleet.user,
        now=timezone.now(),
    ).rule
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
    return World(
        users=users,
        offer=event.offers.get(participant=fleet.participant),
        rule=rule,
        board=board,
    )


def _meter_file(world: World) -> SimpleUploadedFile:
    row = f"SM-{world.participant_id},2024-05-22T17:00:00Z,2024-05-22T17:15:00Z,2500,,"
    return SimpleUploadedFile("data.csv", canonical(row))


def _state() -> tuple[object, ...]:
    """Return everything a member's write can change, to compare before and after."""
    return (
        sorted(Membership.objects.values_list("user__email", "participant_id", "role")),
        OfferResponse.objects.count(),
        Upload.objects.count(),
        sorted(StandingRuleVersion.objects.values_list("rule_id", "version", "active")),
        BatterySetting.objects.count(),
        PayoutAccount.objects.count(),
    )


RULE_TERMS = {"name": "over $1", "min_price_per_kwh": "1"}
BATTERY = {"usable_kwh": "40", "wear_cost_per_kwh": "0.10"}


@dataclass(frozen=True)
class Write:
    """One write: its route and method, how to send it, and where an allowed page goes."""

    route: str
    method: str
    send: Callable[[World, Client], object]
    # The page an allowed portal write redirects to (None for the API).
    then: Callable[[World], str] | None = None
    # An allowed write that changes nothing here: the payout links without Stripe say so.
    changes: bool = True


def _payouts(_: World) -> str:
    return "/payouts/"


def _answers(_: World) -> str:
    return "/answers/"


def _fleet(world: World) -> str:
    return f"/fleet/{world.participant_id}/"


WRITES: dict[str, Write] = {
    "api offer accept": Write(
        "api/v1/offers/<int:offer_id>/accept/",
        "POST",
        lambda w, c: c.post(
            f"/api/v1/offers/{w.offer.pk}/accept/", {"committed_kw": "5"}, format="json"
        ),
    ),
    "api offer decline": Write(
        "api/v1/offers/<int:offer_id>/decline/",
        "POST",
        lambda w, c: c.post(f"/api/v1/offers/{w.offer.pk}/decline/"),
    ),
    "page offer accept": Write(
        "offers/<int:offer_id>/accept/",
        "POST",
        lambda w, c: c.post(f"/offers/{w.offer.pk}/accept/", {"committed_kw": "5"}),
        then=lambda _: "/offers/",
    ),
    "page offer decline": Write(
        "offers/<int:offer_id>/decline/",
        "POST",
        lambda w, c: c.post(f"/offers/{w.offer.pk}/decline/", {"confirm": "yes"}),
        then=lambda _: "/offers/",
    ),
    "api standing rule create": Write(
        "api/v1/standing-rules/",
        "POST",
        lambda w, c: c.post(
            "/api/v1/standing-rules/",
            {**RULE_TERMS, "participant_id": w.participant_id},
            format="json",
        ),
    ),
    "api standing rule change": Write(
        "api/v1/standing-rules/<int:rule_id>/",
        "PUT",
        lambda w, c: c.put(f"/api/v1/standing-rules/{w.rule.pk}/", RULE_TERMS, format="json"),
    ),
    "api standing rule disable": Write(
        "api/v1/standing-rules/<int:rule_id>/disable/",
        "POST",
        lambda w, c: c.post(f"/api/v1/standing-rules/{w.rule.pk}/disable/"),
    ),
    "api battery": Write(
        "api/v1/chargers/<int:charger_id>/battery/",
        "PUT",
        lambda w, c: c.put(f"/api/v1/chargers/{w.charger_id}/battery/", BATTERY, format="json"),
    ),
    "page standing rule create": Write(
        "answers/new/<int:participant_id>/",
        "POST",
        lambda w, c: c.post(
            f"/answers/new/{w.participant_id}/", {**RULE_TERMS, "weekdays": ["1", "2"]}
        ),
        then=_answers,
    ),
    "page standing rule change": Write(
        "answers/<int:rule_id>/",
        "POST",
        lambda w, c: c.post(f"/answers/{w.rule.pk}/", {**RULE_TERMS, "weekdays": ["1", "2"]}),
        then=_answers,
    ),
    "page standing rule disable": Write(
        "answers/<int:rule_id>/disable/",
        "POST",
        lambda w, c: c.post(f"/answers/{w.rule.pk}/disable/"),
        then=_answers,
    ),
    "page battery": Write(
        "answers/battery/<int:charger_id>/",
        "POST",
        lambda w, c: c.post(f"/answers/battery/{w.charger_id}/", BATTERY),
        then=_answers,
    ),
    "api upload": Write(
        "api/v1/metering/uploads/",
        "POST",
        lambda w, c: c.post(
            "/api/v1/metering/uploads/",
            {"file": _meter_file(w), "site_id": w.offer.enrollment.site_id},
            format="multipart",
        ),
    ),
    "page upload": Write(
        "energy/",
        "POST",
        lambda w, c: c.post(
            "/energy/", {"file": _meter_file(w), "site": w.offer.enrollment.site_id}
        ),
        then=lambda _: "/energy/",
    ),
    # An aggregator's batch: a participant's role gives no right to it.
    "api aggregator batch": Write(
        "api/v1/metering/batches/",
        "POST",
        lambda w, c: c.post(
            "/api/v1/metering/batches/", {"idempotency_key": "b-1", "readings": []}, format="json"
        ),
    ),
    "page member invite": Write(
        "fleet/<int:participant_id>/invite/",
        "POST",
        lambda w, c: c.post(
            f"/fleet/{w.participant_id}/invite/", {"email": "new@example.org", "role": "VIEWER"}
        ),
        then=_fleet,
    ),
    "page member role": Write(
        "fleet/<int:participant_id>/members/<int:membership_id>/role/",
        "POST",
        lambda w, c: c.post(
            f"/fleet/{w.participant_id}/members/{w.board.pk}/role/", {"role": "MANAGER"}
        ),
        then=_fleet,
    ),
    "page member remove": Write(
        "fleet/<int:participant_id>/members/<int:membership_id>/remove/",
        "POST",
        lambda w, c: c.post(f"/fleet/{w.participant_id}/members/{w.board.pk}/remove/"),
        then=_fleet,
    ),
    "page payout connect": Write(
        "payouts/accounts/<int:participant_id>/connect/",
        "POST",
        lambda w, c: c.post(f"/payouts/accounts/{w.participant_id}/connect/"),
        then=_payouts,
        changes=False,
    ),
    "page payout refresh": Write(
        "payouts/accounts/<int:participant_id>/refresh/",
        "GET",
        lambda w, c: c.get(f"/payouts/accounts/{w.participant_id}/refresh/"),
        then=_payouts,
        changes=False,
    ),
    "page payout return": Write(
        "payouts/accounts/<int:participant_id>/return/",
        "GET",
        lambda w, c: c.get(f"/payouts/accounts/{w.participant_id}/return/"),
        then=_payouts,
        changes=False,
    ),
}

# The exact answer of each write to each role, in the order of ROLES: owner, manager,
# viewer, other_owner, staff, anonymous. Pages that succeed redirect (302) to the page
# listing the result; a page's anonymous 302 goes to the sign-in page (checked by Location).
ANSWERS = {
    "api offer accept": (200, 200, 403, 404, 404, 401),
    "api offer decline": (200, 200, 403, 404, 404, 401),
    "page offer accept": (302, 302, 403, 404, 404, 302),
    "page offer decline": (302, 302, 403, 404, 404, 302),
    "api standing rule create": (201, 201, 403, 404, 404, 401),
    "api standing rule change": (200, 200, 403, 404, 404, 401),
    "api standing rule disable": (200, 200, 403, 404, 404, 401),
    "api battery": (200, 200, 403, 404, 404, 401),
    "page standing rule create": (302, 302, 403, 404, 404, 302),
    "page standing rule change": (302, 302, 403, 404, 404, 302),
    "page standing rule disable": (302, 302, 403, 404, 404, 302),
    "page battery": (302, 302, 403, 404, 404, 302),
    "api upload": (201, 201, 403, 404, 201, 401),
    # Staff may upload for any site through the API, but the portal's form offers only
    # the sites the user acts for: staff's post is a form error (200), nothing stored.
    "page upload": (302, 302, 403, 404, 200, 302),
    "api aggregator batch": (403, 403, 403, 403, 403, 401),
    "page member invite": (302, 302, 403, 404, 404, 302),
    "page member role": (302, 302, 403, 404, 404, 302),
    "page member remove": (302, 302, 403, 404, 404, 302),
    "page payout connect": (302, 302, 403, 404, 404, 302),
    "page payout refresh": (302, 302, 403, 404, 404, 302),
    "page payout return": (302, 302, 403, 404, 404, 302),
}
EXPECTED = {write: dict(zip(ROLES, answers, strict=True)) for write, answers in ANSWERS.items()}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_answers_each_role_exactly(world, write, role, settings):
    settings.STRIPE_SECRET_KEY = ""  # no Stripe: an allowed payout write says so on /payouts/
    case = WRITES[write]
    before = _state()

    response = case.send(world, world.client(role))

    assert response.resolver_match.route == case.route
    assert response.status_code == EXPECTED[write][role]
    if response.status_code == 403 and case.then is None:
        assert response.json()["error"]["code"] == "permission_denied"
    if response.status_code == 302:
        assert case.then is not None
        expected_page = "/accounts/login/" if role == "anonymous" else case.then(world)
        assert response["Location"].split("?")[0] == expected_page
    allowed = EXPECTED[write][role] in (200, 201, 302) and role not in ("anonymous", "staff")
    allowed = allowed or (write == "api upload" and role == "staff")
    assert (_state() != before) is (allowed and case.changes)


def test_the_walk_has_a_case_for_every_write_the_resolver_routes():
    walked = {(case.route, case.method) for case in WRITES.values()}

    assert members_writes() | GET_WRITES == walked
    assert set(EXPECTED) == set(WRITES)


def test_the_routes_excluded_from_the_walk_exist():
    routes = {route for route, _ in _routes(get_resolver().url_patterns)}
    writes = {
        (route, method)
        for route, view in _routes(get_resolver().url_patterns)
        for method in _methods(view)
    }

    assert all(any(route.startswith(prefix) for route in routes) for prefix in NOT_A_MEMBERS_WRITE)
    assert writes >= PER_USER_WRITES | GET_WRITES


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
