"""Benchmark the rating core beside NREL PySAM's Utilityrate5 on one channel's year of hours.

The same TOU export (sell) rate, summer/winter x peak/off-peak as in `bench_rating.py`, and
the same 8,760 hourly exports, priced by the core (`tou.price_tou`) and by PySAM
(`Utilityrate5`, buy all / sell all, no load). Each is timed best of REPEATS in this run;
`rating_one_year_vs_pysam_ratio` is core time / PySAM time (target < 1).

Both must agree before any time is reported (the script exits non-zero otherwise):
- the TOU period of every hour (PySAM's `year1_hourly_ec_tou_schedule` against the core's
  attribution), so the calendars line up;
- the kWh of every period, and the amount, kWh x price summed, to 10^-6 $;
- the total to the cent, allowing only for the one convention that differs: the core rounds
  each line half-up to cents once (four lines here), PySAM never rounds, so the rounded totals
  may differ by at most half a cent a line.

Conventions chosen so the comparison is of the same thing: SAM's year has 8,760 hours of
local standard time, no holidays, and starts on a Monday. So the year is 2018 (1 January was
a Monday, not a leap year), the zone America/Phoenix (no daylight saving time, so local time
is standard time all year) and the plan names no holidays.
"""

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
from PySAM import Utilityrate5

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from settlement.rating import local_time, tou
from settlement.rating.intervals import IntervalArrays
from settlement.rating.result import RatingResult
from settlement.rating.tariff import TouPeriod, TouTariff

ZONE = "America/Phoenix"  # UTC-7 all year
YEAR_START = datetime(2018, 1, 1, 7, tzinfo=UTC)  # 2018-01-01 00:00 MST, a Monday
YEAR_END = datetime(2019, 1, 1, 7, tzinfo=UTC)
HOURS = 8_760
REPEATS = 200
PRICES = (Decimal("0.04123"), Decimal("0.09217"), Decimal("0.03874"), Decimal("0.05561"))
LABELS = ("Summer off-peak", "Summer peak", "Winter off-peak", "Winter peak")


def _weekday(month: int) -> tuple[int, ...]:
    # Summer June-September; peak 17:00-20:00 on weekdays.
    on, off = (1, 0) if 6 <= month <= 9 else (3, 2)
    return tuple(on if 17 <= hour <= 19 else off for hour in range(24))


def _weekend(month: int) -> tuple[int, ...]:
    return tuple(0 if 6 <= month <= 9 else 2 for _ in range(24))


def plan() -> TouTariff:
    return TouTariff(
        time_zone=ZONE,
        periods=tuple(TouPeriod(label, price) for label, price in zip(LABELS, PRICES, strict=True)),
        weekday_schedule=tuple(_weekday(month) for month in range(1, 13)),
        weekend_schedule=tuple(_weekend(month) for month in range(1, 13)),
    )


def exports() -> IntervalArrays:
    start = int(YEAR_START.timestamp())
    rng = np.random.default_rng(2018)
    return IntervalArrays(
        start_utc=start + 3_600 * np.arange(HOURS, dtype=np.int64),
        duration_s=np.full(HOURS, 3_600, dtype=np.int64),
        wh=rng.integers(0, 3_000, HOURS, dtype=np.int64),
    )


def pysam_model(tariff: TouTariff, intervals: IntervalArrays) -> Utilityrate5.Utilityrate5:
    model = Utilityrate5.new()
    model.Lifetime.analysis_period = 1
    model.Lifetime.system_use_lifetime_output = 0
    model.Lifetime.inflation_rate = 0
    model.SystemOutput.degradation = [0]
    # Hourly steps: kW over an hour is kWh. Floats are SAM's only input type.
    model.SystemOutput.gen = [wh / 1000 for wh in intervals.wh.tolist()]
    model.Load.load = [0.0] * HOURS
    model.ElectricityRates.ur_metering_option = 4  # buy all / sell all: every kWh is sold
    model.ElectricityRates.ur_en_ts_sell_rate = 0  # sell rates from the TOU table
    model.ElectricityRates.ur_en_ts_buy_rate = 0
    model.ElectricityRates.ur_dc_enable = 0
    model.ElectricityRates.ur_monthly_fixed_charge = 0
    model.ElectricityRates.rate_escalation = [0]
    # Rows: period (1-based), tier, tier ceiling, ceiling unit (0 = kWh), buy, sell.
    model.ElectricityRates.ur_ec_tou_mat = [
        [number + 1, 1, 1e38, 0, 0.0, float(period.export_price)]
        for number, period in enumerate(tariff.periods)
    ]
    model.ElectricityRates.ur_ec_sched_weekday = [
        [period + 1 for period in row] for row in tariff.weekday_schedule
    ]
    model.ElectricityRates.ur_ec_sched_weekend = [
        [period + 1 for period in row] for row in tariff.weekend_schedule
    ]
    return model


def best_seconds(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def check_agreement(
    tariff: TouTariff, intervals: IntervalArrays, result: RatingResult, model
) -> dict[str, float]:
    outputs = model.Outputs
    # The period of every hour: the core's bucket is the period (no tiers), SAM's is 1-based.
    core_period = np.empty(HOURS, dtype=np.int64)
    core_period[result.attribution.interval] = result.attribution.bucket
    sam_period = np.array(outputs.year1_hourly_ec_tou_schedule, dtype=np.int64) - 1
    if not np.array_equal(core_period, sam_period):
        first = int(np.flatnonzero(core_period != sam_period)[0])
        raise SystemExit(
            f"hour {first}: core period {core_period[first]}, PySAM {sam_period[first]}"
        )
    # kWh per period: PySAM's hourly sales per period, summed.
    sold = np.array(outputs.year1_hourly_e_togrid, dtype=np.float64)
    exact = Decimal(0)
    for line in result.lines:
        sam_kwh = float(sold[sam_period == line.bucket].sum())
        if abs(sam_kwh - float(line.kwh)) > 1e-6:
            raise SystemExit(f"{line.label}: core {line.kwh} kWh, PySAM {sam_kwh}")
        exact += line.kwh * line.price
    # SAM books sales as negative charges.
    sam_amount = -sum(outputs.year1_monthly_ec_charge_with_system)
    if abs(sam_amount - float(exact)) > 1e-6:
        raise SystemExit(f"amount: core exact {exact}, PySAM {sam_amount}")
    sam_cents = Decimal(repr(sam_amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    difference = abs(result.total - sam_cents)
    if difference > Decimal("0.005") * len(result.lines):
        raise SystemExit(f"total: core {result.total}, PySAM {sam_cents} (more than rounding)")
    print(
        f"agree: every hour's period; {len(result.lines)} lines' kWh; amount core exact {exact} "
        f"vs PySAM {sam_amount:.6f}; totals core {result.total} (a rounding per line) vs "
        f"PySAM rounded once {sam_cents}",
        file=sys.stderr,
    )
    return {"rating_vs_pysam_total_difference_cents": float(difference * 100)}


def main() -> None:
    tariff, intervals = plan(), exports()

    def core() -> RatingResult:
        return tou.price_tou(
            intervals, tariff, period_start_utc=YEAR_START, period_end_utc=YEAR_END
        )

    result = core()
    model = pysam_model(tariff, intervals)
    model.execute()
    figures = check_agreement(tariff, intervals, result, model)
    gen = list(model.SystemOutput.gen)

    def pysam_with_input() -> None:
        model.SystemOutput.gen = gen
        model.execute()

    core_seconds = best_seconds(core)

    def core_building_its_table() -> RatingResult:
        local_time.clear_offset_tables()
        return core()

    cold_seconds = best_seconds(core_building_its_table)
    pysam_seconds = best_seconds(model.execute)
    pysam_input_seconds = best_seconds(pysam_with_input)
    print(
        f"one channel, one year of hours, best of {REPEATS}: core {core_seconds * 1e3:.3f} ms "
        f"(building the zone's table too: {cold_seconds * 1e3:.3f} ms), "
        f"PySAM execute {pysam_seconds * 1e3:.3f} ms "
        f"({pysam_input_seconds * 1e3:.3f} ms with setting its 8,760 inputs)",
        file=sys.stderr,
    )
    figures.update(
        {
            "rating_one_year_core_ms": round(core_seconds * 1e3, 3),
            "rating_one_year_core_uncached_ms": round(cold_seconds * 1e3, 3),
            "rating_one_year_pysam_ms": round(pysam_seconds * 1e3, 3),
            "rating_one_year_pysam_with_input_ms": round(pysam_input_seconds * 1e3, 3),
            "rating_one_year_vs_pysam_ratio": round(core_seconds / pysam_seconds, 3),
        }
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
