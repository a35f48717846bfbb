"""Benchmark the pure rating engine: 15-minute intervals/s under a TOU plan and a price vector.

Builds 10,000,000 quarter-hour readings (scaled by BENCH_SCALE): one local year, 2025, for as
many meters as it takes. Then a settlement chunk's worth of small calls: 100 channels x July
in quarter hours, priced one call each (`price_tou`) and in one call (`price_batches`), best
of five. Prints one JSON object on stdout; details go to stderr.
"""

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from settlement.rating import batches, holiday_calendars, tou, vector
from settlement.rating.intervals import IntervalArrays
from settlement.rating.result import RatingResult
from settlement.rating.tariff import (
    DayType,
    HourlyVectorTariff,
    TouPeriod,
    TouTariff,
    VectorPrice,
)

ZONE = "America/Los_Angeles"
PERIOD_START = datetime(2025, 1, 1, 8, tzinfo=UTC)  # 2025-01-01 00:00 PST
PERIOD_END = datetime(2026, 1, 1, 8, tzinfo=UTC)
QUARTER_HOURS_PER_YEAR = 365 * 96
BASE_INTERVALS = 10_000_000
HOLIDAYS = holiday_calendars.holiday_dates("PGE", [2025])


def readings(count: int) -> IntervalArrays:
    year = int(PERIOD_START.timestamp()) + 900 * np.arange(QUARTER_HOURS_PER_YEAR, dtype=np.int64)
    meters = -(-count // QUARTER_HOURS_PER_YEAR)
    starts = np.tile(year, meters)[:count]
    rng = np.random.default_rng(2025)
    return IntervalArrays(
        start_utc=starts,
        duration_s=np.full(count, 900, dtype=np.int64),
        wh=rng.integers(0, 3_000, count, dtype=np.int64),
    )


def urdb_style_plan() -> TouTariff:
    # E-TOU-D shape: summer (June-September) and winter, peak 17:00-20:00 on weekdays.
    def weekday(month: int) -> tuple[int, ...]:
        on, off = (1, 0) if 6 <= month <= 9 else (3, 2)
        return tuple(on if 17 <= hour <= 19 else off for hour in range(24))

    def weekend(month: int) -> tuple[int, ...]:
        return tuple(0 if 6 <= month <= 9 else 2 for _ in range(24))

    return TouTariff(
        time_zone=ZONE,
        periods=(
            TouPeriod("Summer off-peak", Decimal("0.04123")),
            TouPeriod("Summer peak", Decimal("0.09217")),
            TouPeriod("Winter off-peak", Decimal("0.03874")),
            TouPeriod("Winter peak", Decimal("0.05561")),
        ),
        weekday_schedule=tuple(weekday(month) for month in range(1, 13)),
        weekend_schedule=tuple(weekend(month) for month in range(1, 13)),
        holidays=HOLIDAYS,
    )


def hourly_vector() -> HourlyVectorTariff:
    # Distinct prices per key so every one of the 576 keys makes its own pair of lines.
    table = {
        (month, day_type, hour): VectorPrice(
            generation=Decimal(50_000 + 100 * month + 7 * hour).scaleb(-6),
            delivery=Decimal(
                3_000 + 10 * month + hour + (500 if day_type is DayType.WEEKDAY else 0)
            ).scaleb(-6),
        )
        for month in range(1, 13)
        for day_type in DayType
        for hour in range(24)
    }
    return HourlyVectorTariff(time_zone=ZONE, by_month_day_type_hour=table, holidays=HOLIDAYS)


def best_rate(run: Callable[[], RatingResult], count: int) -> tuple[float, RatingResult]:
    best = float("inf")
    result = run()
    for _ in range(3):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return count / best, result


JULY_START = datetime(2025, 7, 1, 7, tzinfo=UTC)  # 2025-07-01 00:00 PDT
JULY_END = datetime(2025, 8, 1, 7, tzinfo=UTC)
CHUNK_CHANNELS = 100


def chunk_of_channels() -> list[IntervalArrays]:
    quarters = 31 * 96
    starts = int(JULY_START.timestamp()) + 900 * np.arange(quarters, dtype=np.int64)
    rng = np.random.default_rng(7)
    return [
        IntervalArrays(
            start_utc=starts,
            duration_s=np.full(quarters, 900, dtype=np.int64),
            wh=rng.integers(0, 3_000, quarters, dtype=np.int64),
        )
        for _ in range(CHUNK_CHANNELS)
    ]


def best_ms(run: Callable[[], object], repeats: int = 5) -> float:
    best = float("inf")
    run()
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best * 1e3


def chunk_figures(plan: TouTariff) -> dict[str, float]:
    chunk = chunk_of_channels()
    period = {"period_start_utc": JULY_START, "period_end_utc": JULY_END}
    each_ms = best_ms(lambda: [tou.price_tou(channel, plan, **period) for channel in chunk])
    together_ms = best_ms(lambda: batches.price_batches(chunk, plan, **period))
    print(
        f"a chunk of {CHUNK_CHANNELS} channels x July (2,976 quarter hours each): one call "
        f"each {each_ms:.1f} ms, one call for the chunk {together_ms:.1f} ms",
        file=sys.stderr,
    )
    return {
        "rating_chunk_one_call_each_ms": round(each_ms, 1),
        "rating_chunk_one_call_ms": round(together_ms, 1),
    }


def main() -> None:
    count = max(1, round(BASE_INTERVALS * float(os.environ.get("BENCH_SCALE", "1.0"))))
    intervals = readings(count)
    plan, prices = urdb_style_plan(), hourly_vector()
    tou_rate, tou_result = best_rate(
        lambda: tou.price_tou(
            intervals, plan, period_start_utc=PERIOD_START, period_end_utc=PERIOD_END
        ),
        count,
    )
    vector_rate, vector_result = best_rate(
        lambda: vector.price_vector(
            intervals, prices, period_start_utc=PERIOD_START, period_end_utc=PERIOD_END
        ),
        count,
    )
    print(
        f"{count} intervals; TOU {len(tou_result.lines)} lines total {tou_result.total}; "
        f"vector {len(vector_result.lines)} lines total {vector_result.total}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "rating_tou_intervals_per_s": round(tou_rate),
                "rating_vector_intervals_per_s": round(vector_rate),
                **chunk_figures(plan),
            }
        )
    )


if __name__ == "__main__":
    main()
