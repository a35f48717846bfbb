"""Pricing many batches of intervals (a chunk's channels) under one tariff in one call.

A settlement chunk prices a hundred channels under the same tariff version and billing
period. Pricing them one call each pays the core's fixed cost (keys, tables, NumPy set-up)
a hundred times; here the NumPy work runs once over all of them and only the lines (Decimal
arithmetic, per batch by nature) are built batch by batch.
"""

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from settlement.rating import lines as line_building
from settlement.rating.billing_period import BillingPeriod
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import IntervalArrays
from settlement.rating.result import Attribution, RatingResult
from settlement.rating.tariff import HourlyVectorTariff, TouTariff
from settlement.rating.tou import tou_energy
from settlement.rating.vector import price_vector, vector_energy

Outcome = RatingResult | RatingInputError


def price_batches(
    batches: Sequence[IntervalArrays],
    tariff: TouTariff | HourlyVectorTariff,
    *,
    period_start_utc: datetime,
    period_end_utc: datetime,
) -> list[Outcome]:
    """Return, for each batch, what pricing it alone gives: its result, or the refusal.

    A reading that reaches over an edge of the billing period is shared by time there
    (`BillingPeriod.shares_inside`): only its part inside is priced, so the periods on both
    sides of the edge price it exactly once between them. `outcomes[i]` equals `price_tou` (or
    `price_vector`) of those shares of `batches[i]` alone, line for line, total and attribution
    row for row (attribution indexes the batch's own intervals), or is the `RatingInputError`
    that call raises, with the same message; a reading that does not overlap the period at all
    is refused, naming it. Tiers fill per batch. An absolute-hour vector is priced batch by
    batch: a UTC hour without a price is the one refusal pricing together would raise for the
    chunk rather than for the batch whose reading needs it (a keyed vector's missing key is
    refused line by line, per batch).
    """
    try:
        period = BillingPeriod.from_datetimes(start=period_start_utc, end=period_end_utc)
    except RatingInputError as error:
        return [error for _ in batches]
    outcomes: list[Outcome | None] = [None] * len(batches)
    together = []
    shared = list(batches)
    for number, batch in enumerate(batches):
        try:
            shared[number] = period.shares_inside(batch)
        except RatingInputError as error:
            outcomes[number] = error
            continue
        together.append(number)
    batches = shared
    if isinstance(tariff, HourlyVectorTariff) and tariff.by_utc_hour:
        priced = [
            _priced_alone(batches[number], tariff, period_start_utc, period_end_utc)
            for number in together
        ]
    else:
        priced = _priced_together([batches[number] for number in together], tariff, period)
    for number, outcome in zip(together, priced, strict=True):
        outcomes[number] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


def _priced_alone(
    batch: IntervalArrays, tariff: HourlyVectorTariff, start: datetime, end: datetime
) -> Outcome:
    try:
        return price_vector(batch, tariff, period_start_utc=start, period_end_utc=end)
    except RatingInputError as error:
        return error


def _priced_together(
    batches: Sequence[IntervalArrays],
    tariff: TouTariff | HourlyVectorTariff,
    period: BillingPeriod,
) -> list[Outcome]:
    if not batches:
        return []
    sizes = np.array([len(batch) for batch in batches], dtype=np.int64)
    first_interval = np.cumsum(sizes) - sizes
    intervals = IntervalArrays(
        start_utc=np.concatenate([batch.start_utc for batch in batches]),
        duration_s=np.concatenate([batch.duration_s for batch in batches]),
        wh=np.concatenate([batch.wh for batch in batches]),
    )
    batch_of_interval = np.repeat(np.arange(len(batches), dtype=np.int64), sizes)
    if isinstance(tariff, TouTariff):
        energy = tou_energy(intervals, tariff, period, batch=batch_of_interval)
    else:
        energy = vector_energy(intervals, tariff, period)
    attribution, bucket_count = energy.attribution, energy.bucket_count
    batch_of_row = batch_of_interval[attribution.interval]
    # A stable sort keeps each batch's rows in the order pricing it alone gives them.
    order = np.argsort(batch_of_row, kind="stable")
    row_bounds = np.searchsorted(
        batch_of_row[order], np.arange(len(batches) + 1, dtype=np.int64), side="left"
    )
    sums = line_building.bucket_sums(
        batch_of_row * bucket_count + attribution.bucket,
        attribution.wh,
        attribution.start_utc,
        key_count=len(batches) * bucket_count,
    )
    fixed = line_building.fixed_lines(tariff.fixed_items, period=period, zone=tariff.time_zone)
    outcomes: list[Outcome] = []
    for number in range(len(batches)):
        rows = order[row_bounds[number] : row_bounds[number + 1]]
        own = Attribution(
            interval=attribution.interval[rows] - first_interval[number],
            bucket=attribution.bucket[rows],
            wh=attribution.wh[rows],
            start_utc=attribution.start_utc[rows],
        )
        try:
            energy_lines = line_building.lines_of_sums(
                sums.row(number, bucket_count), zone=tariff.time_zone, describe=energy.describe
            )
        except RatingInputError as error:
            outcomes.append(error)
            continue
        outcomes.append(
            line_building.result_with(
                energy_lines,
                own,
                zone=tariff.time_zone,
                fixed=fixed,
                minimum=tariff.minimum_total,
                maximum=tariff.maximum_total,
            )
        )
    return outcomes
