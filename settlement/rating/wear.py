"""Battery wear of delivering an offer, and what the offer is worth after it.

Pure: Decimal in, Decimal out. The wear is rounded half-up to cents once, here; the net is
an amount already in cents less another, so it is exact without rounding again.
"""

from dataclasses import dataclass
from decimal import Decimal

from settlement.rating.money import round_to_cents

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Wear:
    """The energy an offer would take from the battery, and what that wears it by."""

    # kW x hours: what the commitment asks for over the event.
    asked_kwh: Decimal
    # The usable capacity above the reserve: the most the battery can give.
    available_kwh: Decimal
    # min(asked, available): the energy the wear is charged on.
    discharged_kwh: Decimal
    amount: Decimal


def wear_cost(
    *,
    kw: Decimal,
    hours: Decimal,
    usable_kwh: Decimal,
    reserve_percent: int,
    wear_cost_per_kwh: Decimal,
) -> Wear:
    """Return the wear of discharging `kw` for `hours` from a battery of `usable_kwh`.

    discharged = min(kw x hours, usable_kwh x (100 - reserve_percent) / 100);
    wear = discharged x wear_cost_per_kwh, rounded half-up to cents.
    """
    asked = kw * hours
    available = usable_kwh * (HUNDRED - reserve_percent) / HUNDRED
    discharged = min(asked, available)
    return Wear(
        asked_kwh=asked,
        available_kwh=available,
        discharged_kwh=discharged,
        amount=round_to_cents(discharged * wear_cost_per_kwh),
    )


def net(*, earnings: Decimal, wear: Decimal) -> Decimal:
    """Return `earnings` less `wear` (both in cents already), which may be negative."""
    return earnings - wear
