"""A committed kW is checked once, in the operation, for the page and the API alike.

Finite, above 0, at most the charger's maximum (11.5 kW here), at most 3 decimals: anything
else is a 400 naming `committed_kw`, with nothing stored; the page keeps the typed value.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from settlement.events.models import Offer, OfferResponse
from tests.clients import signed_in
from tests.event_fixtures import Owner, dispatch, offer_rules, program_with

pytestmark = pytest.mark.django_db

REFUSED = [
    ("NaN", "committed_kw: NaN is not a number of kW"),
    ("sNaN", "committed_kw: sNaN is not a number of kW"),
    ("Infinity", "committed_kw: Infinity is not a number of kW"),
    ("0", "committed_kw: must be greater than 0"),
    ("-1", "committed_kw: must be greater than 0"),
    ("0.0004", "committed_kw: 0.0004 has more than 3 decimals"),
    ("1e-999", "committed_kw: 1E-999 has more than 3 decimals"),
    ("0.0005", "committed_kw: 0.0005 has more than 3 decimals"),
    ("7.123456", "committed_kw: 7.123456 has more than 3 decimals"),
    ("11.5001", "committed_kw: 11.5001 is above the charger maximum 11.5 kW"),
    ("20", "committed_kw: 20 is above the charger maximum 11.5 kW"),
    ("seven", "committed_kw: 'seven' is not a number"),
]


@pytest.fixture
def open_offer() -> tuple[Owner, Offer]:
    program = program_with(offer_rules())
    owner = Owner(program)
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    event = dispatch(program, start, start + dt.timedelta(hours=2), now=timezone.now())
    return owner, event.offers.get()


@pytest.mark.parametrize(("typed", "message"), REFUSED)
def test_the_page_refuses_the_commitment_and_keeps_what_was_typed(open_offer, typed, message):
    owner, offer = open_offer

    page = signed_in(owner.user).post(f"/offers/{offer.pk}/accept/", {"committed_kw": typed})

    body = page.content.decode()
    assert page.status_code == 400
    # The page says it in plain words, beside the box labelled "Committed kW": without the
    # field's code name the API's message starts with ("must be ..." -> "Must be ...").
    plain = message.removeprefix("committed_kw: ")
    plain = (plain[:1].upper() + plain[1:]).replace("'", "&#x27;")
    assert f'<p class="error" role="alert">{plain}</p>' in body
    assert "committed_kw:" not in body
    assert f'value="{typed}" aria-invalid="true"' in body
    assert not OfferResponse.objects.exists()
    assert Offer.objects.get(pk=offer.pk).status == "OPEN"


@pytest.mark.parametrize(("typed", "message"), [r for r in REFUSED if r[0] != "seven"])
def test_the_api_refuses_the_commitment_with_nothing_stored(open_offer, typed, message):
    owner, offer = open_offer

    response = signed_in(owner.user).post(
        f"/api/v1/offers/{offer.pk}/accept/", {"committed_kw": typed}, format="json"
    )

    # Above the charger's maximum is well formed, and conflicts with the enrollment: 409.
    assert response.status_code == (409 if "above the charger maximum" in message else 400)
    error = response.json()["error"]
    if typed in ("NaN", "sNaN", "Infinity"):
        # DRF's decimal field parses no NaN or infinity; what it parses the operation checks.
        assert error["code"] == "invalid"
        assert list(error["details"]) == ["committed_kw"]
    else:
        assert (error["code"], error["message"]) == ("commitment_invalid", message)
    assert not OfferResponse.objects.exists()


@pytest.mark.parametrize("typed", ["0.001", "7.123", "11.500", "11.5"])
def test_three_decimals_up_to_the_maximum_are_stored_exactly(open_offer, typed):
    owner, offer = open_offer

    response = signed_in(owner.user).post(
        f"/api/v1/offers/{offer.pk}/accept/", {"committed_kw": typed}, format="json"
    )

    assert response.status_code == 200
    assert Offer.objects.get(pk=offer.pk).committed_kw == Decimal(typed)
