"""Event performance: delivered energy against a baseline or a commitment, and what it earns.

Pure: Decimal Wh and prices in, amounts out, each returned with what it was computed from.
Amounts are rounded half-up to cents once, per participant and event (the line a statement
will carry), after caps and thresholds.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from settlement.rating.money import round_to_cents

WH_PER_KWH = Decimal(1000)
SECONDS_PER_HOUR = Decimal(3600)
ZERO = Decimal(0)


class NegativeHours(StrEnum):
    """How hours with negative incremental energy count within one event."""

    # Default: each hour is floored at zero, so an hour that imported more than the baseline
    # is paid nothing rather than a negative amount.
    ZERO = "ZERO"
    # Hours offset each other; the event as a whole is floored at zero.
    OFFSET = "OFFSET"


@dataclass(frozen=True)
class HourDelivery:
    """One event hour: baseline and actual net load, incremental and paid energy (Wh)."""

    local_hour: int
    baseline_wh: Decimal
    actual_wh: Decimal
    # baseline - actual: positive when the participant loaded the grid less (or exported).
    incremental_wh: Decimal
    # What counts for payment in this hour under the negative-hours rule.
    paid_wh: Decimal


@dataclass(frozen=True)
class IncrementalDelivery:
    """An event's hours and the incremental energy that counts for payment."""

    hours: tuple[HourDelivery, ...]
    baseline_wh: Decimal
    actual_wh: Decimal
    incremental_wh: Decimal
    paid_wh: Decimal


def incremental_delivery(
    *,
    local_hours: Sequence[int],
    baseline_wh: Sequence[Decimal],
    actual_wh: Sequence[Decimal],
    negative_hours: NegativeHours = NegativeHours.ZERO,
) -> IncrementalDelivery:
    """Return baseline - actual per hour and the energy paid (DOMAIN.md section 2).

    Under ZERO each hour's paid energy is max(0, baseline - actual); under OFFSET hours net
    against each other and only the event total is floored at zero (the per-hour paid
    energy is then the raw incremental energy, which may be negative).
    """
    if not len(local_hours) == len(baseline_wh) == len(actual_wh):
        raise ValueError("local_hours, baseline_wh and actual_wh must have one value per hour")
    hours = []
    for hour, base, actual in zip(local_hours, baseline_wh, actual_wh, strict=True):
        incremental = base - actual
        paid = max(incremental, ZERO) if negative_hours is NegativeHours.ZERO else incremental
        hours.append(HourDelivery(hour, base, actual, incremental, paid))
    incremental_total = sum((h.incremental_wh for h in hours), ZERO)
    paid_total = sum((h.paid_wh for h in hours), ZERO)
    return IncrementalDelivery(
        hours=tuple(hours),
        baseline_wh=sum((h.baseline_wh for h in hours), ZERO),
        actual_wh=sum((h.actual_wh for h in hours), ZERO),
        incremental_wh=incremental_total,
        paid_wh=max(paid_total, ZERO),
    )


@dataclass(frozen=True)
class EventAmount:
    """What an event earns: the amount (cents), before rounding, and why it is what it is."""

    amount: Decimal
    unrounded: Decimal
    reason: str


def event_amount(
    *,
    paid_wh: Decimal,
    price_per_kwh: Decimal,
    per_event_cap: Decimal | None = None,
    minimum_payment: Decimal = ZERO,
    test_event: bool = False,
    pay_test_events: bool = False,
) -> EventAmount:
    """Return paid kWh x price, capped per event, zero below the minimum or for an unpaid test.

    The order is: test events first (a program that does not pay them pays nothing), then
    the per-event cap, then the minimum payment threshold, then one rounding to cents.
    """
    if test_event and not pay_test_events:
        return EventAmount(ZERO.quantize(Decimal("0.01")), ZERO, "test event: not paid")
    raw = paid_wh / WH_PER_KWH * price_per_kwh
    reason = ""
    if per_event_cap is not None and raw > per_event_cap:
        raw = per_event_cap
        reason = f"capped at {per_event_cap} per event"
    if raw < minimum_payment:
        return EventAmount(
            ZERO.quantize(Decimal("0.01")), raw, f"below the minimum payment of {minimum_payment}"
        )
    return EventAmount(round_to_cents(raw), raw, reason)


def within_season_cap(*, amount: Decimal, paid_so_far: Decimal, cap: Decimal | None) -> Decimal:
    """Return the part of `amount` the season cap still allows after `paid_so_far`."""
    if cap is None:
        return amount
    return min(amount, max(cap - paid_so_far, ZERO))


@dataclass(frozen=True)
class OfferDelivery:
    """An accepted offer: delivered, committed and paid energy, any shortfall, the amount."""

    delivered_wh: Decimal
    committed_wh: Decimal
    paid_wh: Decimal
    shortfall_wh: Decimal
    energy_amount: Decimal
    shortfall_charge: Decimal
    amount: Decimal


def committed_wh(*, committed_kw: Decimal, duration_s: int) -> Decimal:
    """Return the energy a commitment of `committed_kw` over `duration_s` seconds is (Wh)."""
    return committed_kw * WH_PER_KWH * Decimal(duration_s) / SECONDS_PER_HOUR


def accepted_offer_amount(
    *,
    delivered_wh: Decimal,
    committed_wh: Decimal,
    price_per_kwh: Decimal,
    shortfall_price_per_kwh: Decimal | None = None,
    shortfall_below_share: Decimal | None = None,
) -> OfferDelivery:
    """Return delivered kWh (capped at the commitment) x price, less any shortfall charge.

    The shortfall is the energy below `shortfall_below_share` x commitment; each such kWh
    costs `shortfall_price_per_kwh`, so the amount can be negative (the owner owes it).
    """
    paid = min(max(delivered_wh, ZERO), committed_wh)
    shortfall = ZERO
    if shortfall_price_per_kwh is not None and shortfall_below_share is not None:
        shortfall = max(shortfall_below_share * committed_wh - max(delivered_wh, ZERO), ZERO)
    energy = paid / WH_PER_KWH * price_per_kwh
    charge = shortfall / WH_PER_KWH * (shortfall_price_per_kwh or ZERO)
    return OfferDelivery(
        delivered_wh=delivered_wh,
        committed_wh=committed_wh,
        paid_wh=paid,
        shortfall_wh=shortfall,
        energy_amount=energy,
        shortfall_charge=charge,
        amount=round_to_cents(energy - charge),
    )


@dataclass(frozen=True)
class EventHours:
    """One event of a season: its length in hours and the energy delivered (None: missed)."""

    hours: Decimal
    delivered_wh: Decimal | None


@dataclass(frozen=True)
class CapacityAmount:
    """A season's average kW over all event hours and what it earns."""

    event_hours: Decimal
    delivered_wh: Decimal
    average_kw: Decimal
    amount: Decimal


def seasonal_capacity_amount(
    *, events: Sequence[EventHours], price_per_kw: Decimal
) -> CapacityAmount:
    """Return $/kW x average kW over all event hours of the season.

    A missed event adds its hours and no energy, so it pulls the average down; a negative
    delivery counts as zero.
    """
    hours = sum((event.hours for event in events), ZERO)
    delivered = sum((max(event.delivered_wh or ZERO, ZERO) for event in events), ZERO)
    average_kw = delivered / WH_PER_KWH / hours if hours else ZERO
    return CapacityAmount(
        event_hours=hours,
        delivered_wh=delivered,
        average_kw=average_kw,
        amount=round_to_cents(average_kw * price_per_kw),
    )


def availability_amount(
    *, qualifying_windows: int, windows_per_month: int, amount: Decimal
) -> Decimal:
    """Return `amount` when at least `windows_per_month` windows qualified, else zero."""
    return round_to_cents(amount if qualifying_windows >= windows_per_month else ZERO)


def window_qualifies(*, covered_s: int, window_s: int) -> bool:
    """Return whether charger data covers the whole window (the car was plugged in)."""
    return window_s > 0 and covered_s >= window_s


def one_off_amount(*, payments_made: int, max_payments: int, amount: Decimal) -> Decimal:
    """Return `amount` while fewer than `max_payments` were made, else zero (the cap)."""
    return round_to_cents(amount if payments_made < max_payments else ZERO)


def offer_ceiling(
    *,
    max_kw: Decimal,
    duration_s: int,
    price_per_kwh: Decimal,
    per_event_cap: Decimal | None = None,
) -> Decimal:
    """Return the most an offer can earn: max kW x hours x price, capped by the rule."""
    raw = max_kw * Decimal(duration_s) / SECONDS_PER_HOUR * price_per_kwh
    if per_event_cap is not None:
        raw = min(raw, per_event_cap)
    return round_to_cents(raw)


@dataclass(frozen=True)
class Estimate:
    """An estimate from past deliveries: the median kWh per event hour, scaled to this offer."""

    past_events: int
    median_kwh_per_hour: Decimal | None
    kwh: Decimal | None
    amount: Decimal | None


def estimate_from_history(
    *,
    past_kwh_per_hour: Sequence[Decimal],
    hours: Decimal,
    price_per_kwh: Decimal,
    ceiling: Decimal,
) -> Estimate:
    """Return median past kWh per event hour x this offer's hours x price, at most `ceiling`.

    With no past event the estimate is empty ("no history yet").
    """
    if not past_kwh_per_hour:
        return Estimate(0, None, None, None)
    median = Decimal(statistics.median(past_kwh_per_hour))
    kwh = median * hours
    return Estimate(
        past_events=len(past_kwh_per_hour),
        median_kwh_per_hour=median,
        kwh=kwh,
        amount=min(round_to_cents(kwh * price_per_kwh), ceiling),
    )
