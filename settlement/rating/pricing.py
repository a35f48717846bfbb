"""Pricing one billing period: readings shared at its edges and at tariff version changes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np

from settlement.rating import lines as line_building
from settlement.rating.billing_period import BillingPeriod, cumulative_wh
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import Int64Array, IntervalArrays
from settlement.rating.lines import EnergyPricing, LinePart
from settlement.rating.result import Attribution, RatingResult
from settlement.rating.tariff import HourlyVectorTariff, TouTariff
from settlement.rating.tou import tou_energy
from settlement.rating.vector import vector_energy


@dataclass(frozen=True)
class TariffSpan:
    """A tariff version in force over `[start, end)` (aware datetimes) of a billing period.

    `label` prefixes its energy lines ("v2" gives "v2 Peak") so versions stay apart.
    """

    tariff: TouTariff | HourlyVectorTariff
    start: datetime
    end: datetime
    label: str = ""


def _check_spans(spans: Sequence[TariffSpan], period: BillingPeriod) -> list[BillingPeriod]:
    if not spans:
        raise RatingInputError("spans: at least one tariff version is required")
    zones = {span.tariff.time_zone for span in spans}
    if len(zones) > 1:
        raise RatingInputError(f"spans: versions in different zones ({', '.join(sorted(zones))})")
    parts = [BillingPeriod.from_datetimes(start=span.start, end=span.end) for span in spans]
    cursor = period.start_utc
    for number, part in enumerate(parts):
        if part.start_utc != cursor:
            raise RatingInputError(
                f"spans[{number}]: starts at {part.start_utc}, expected {cursor} "
                "(versions must cover the billing period without gap or overlap)"
            )
        cursor = part.end_utc
    if cursor != period.end_utc:
        raise RatingInputError(
            f"spans: end at {cursor}, expected the billing period's end {period.end_utc}"
        )
    return parts


def _energy(pieces: IntervalArrays, span: TariffSpan, part: BillingPeriod) -> EnergyPricing:
    if isinstance(span.tariff, TouTariff):
        return tou_energy(pieces, span.tariff, part)
    return vector_energy(pieces, span.tariff, part)


def _labelled(energy: EnergyPricing, label: str) -> EnergyPricing:
    if not label:
        return energy

    def describe(bucket: int) -> list[LinePart]:
        return [
            (f"{label} {text}", component, price)
            for text, component, price in energy.describe(bucket)
        ]

    return EnergyPricing(energy.attribution, energy.bucket_count, describe, energy.values)


def _joined(energies: Sequence[EnergyPricing], origins: Sequence[Int64Array]) -> EnergyPricing:
    # Buckets are numbered span after span, and attribution rows point back to the caller's
    # intervals (not to the pieces a span priced).
    bases = np.cumsum([0] + [energy.bucket_count for energy in energies])

    def describe(bucket: int) -> Sequence[LinePart]:
        number = int(np.searchsorted(bases, bucket, side="right")) - 1
        return energies[number].describe(bucket - int(bases[number]))

    def values(bucket: int) -> Sequence[Decimal] | None:
        number = int(np.searchsorted(bases, bucket, side="right")) - 1
        energy = energies[number]
        return None if energy.values is None else energy.values(bucket - int(bases[number]))

    attribution = Attribution(
        interval=np.concatenate(
            [
                origin[energy.attribution.interval]
                for energy, origin in zip(energies, origins, strict=True)
            ]
        ),
        bucket=np.concatenate(
            [
                energy.attribution.bucket + base
                for energy, base in zip(energies, bases, strict=False)
            ]
        ),
        wh=np.concatenate([energy.attribution.wh for energy in energies]),
        start_utc=np.concatenate([energy.attribution.start_utc for energy in energies]),
    )
    mixed = any(energy.values is not None for energy in energies)
    return EnergyPricing(attribution, int(bases[-1]), describe, values if mixed else None)


def price_period(
    intervals: IntervalArrays,
    *,
    spans: Sequence[TariffSpan],
    period_start_utc: datetime,
    period_end_utc: datetime,
) -> RatingResult:
    """Return the priced lines of one billing period whose tariff may change version inside it.

    `spans` are the versions in force, in order, covering `[period_start_utc,
    period_end_utc)` exactly, all in one zone. Every interval must overlap the period; one
    that reaches over an edge of the period or of a span is shared by time there
    (`cumulative_wh`) and each part priced by the version in force at it, so no reading is
    unpayable for crossing a boundary. Tiers count within a span (a version starts its own).
    Fixed items are counted over the period, each local day or month by the version in force
    at its first instant, and one line per unchanged item; the minimum/maximum bound of the
    version in force at the period's start applies once, to the period's total. Attribution
    rows name the caller's intervals and add up to each interval's Wh inside the period.
    Raises `RatingInputError` when the spans or intervals break these rules.
    """
    period = BillingPeriod.from_datetimes(start=period_start_utc, end=period_end_utc)
    parts = _check_spans(spans, period)
    start, end = intervals.start_utc, intervals.end_utc
    outside = (end <= period.start_utc) | (start >= period.end_utc)
    if len(intervals) and bool(outside.any()):
        first = int(outside.argmax())
        raise RatingInputError(
            f"intervals[{first}]: [{int(start[first])}, {int(end[first])}) does not overlap "
            f"the billing period [{period.start_utc}, {period.end_utc})"
        )
    cuts = np.array([part.start_utc for part in parts] + [period.end_utc], dtype=np.int64)
    clipped = np.clip(cuts[np.newaxis, :], start[:, np.newaxis], end[:, np.newaxis])
    delivered = cumulative_wh(
        clipped - start[:, np.newaxis],
        intervals.wh[:, np.newaxis],
        intervals.duration_s[:, np.newaxis],
    )
    seconds = np.diff(clipped, axis=1)
    shares = np.diff(delivered, axis=1)
    energies, origins, fixed = [], [], []
    for number, (span, part) in enumerate(zip(spans, parts, strict=True)):
        inside = np.flatnonzero(seconds[:, number] > 0).astype(np.int64)
        pieces = IntervalArrays(
            start_utc=clipped[inside, number],
            duration_s=seconds[inside, number],
            wh=shares[inside, number],
        )
        energies.append(_labelled(_energy(pieces, span, part), span.label))
        origins.append(inside)
        fixed += line_building.fixed_lines(
            span.tariff.fixed_items, period=part, zone=span.tariff.time_zone
        )
    first_tariff = spans[0].tariff
    return line_building.result_of(
        _joined(energies, origins),
        zone=first_tariff.time_zone,
        fixed=line_building.merged_fixed_lines(fixed),
        minimum=first_tariff.minimum_total,
        maximum=first_tariff.maximum_total,
    )
