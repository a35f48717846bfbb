"""Keys (day type, month, local hour) for wall-clock instants, holidays included."""

from dataclasses import dataclass
from datetime import date

import numpy as np

from settlement.rating.billing_period import BillingPeriod
from settlement.rating.intervals import Int64Array
from settlement.rating.local_time import (
    EPOCH_ORDINAL,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    OffsetTable,
    day_table,
)
from settlement.rating.tariff import HOURS, MONTHS, DayType

KEY_COUNT = 2 * MONTHS * HOURS
_DAY_TYPES = (DayType.WEEKDAY, DayType.WEEKEND_HOLIDAY)
_SATURDAY = 5


@dataclass(frozen=True, eq=False)
class MonthDayTypeHourKeys:
    """Maps local wall-clock seconds to key `(day type x 12 + month - 1) x 24 + hour`.

    Day type 0 is a weekday, 1 a weekend day or holiday, so the key indexes a flattened
    `[weekday_schedule, weekend_schedule]` directly.
    """

    first_day: int
    day_base: Int64Array

    def __call__(self, local_s: Int64Array) -> Int64Array:
        """Return the key of each wall-clock instant."""
        epoch_day = local_s // SECONDS_PER_DAY
        hour = (local_s - epoch_day * SECONDS_PER_DAY) // SECONDS_PER_HOUR
        return self.day_base[epoch_day - self.first_day] + hour


def decode(key: int) -> tuple[int, DayType, int]:
    """Return (month 1-12, day type, hour 0-23) of a key."""
    day_type, rest = divmod(key, MONTHS * HOURS)
    month_index, hour = divmod(rest, HOURS)
    return month_index + 1, _DAY_TYPES[day_type], hour


def month_day_type_hour_keys(
    period: BillingPeriod, table: OffsetTable, holidays: frozenset[date]
) -> MonthDayTypeHourKeys:
    """Return the key function for every local day the billing period touches."""
    # NumPy makes int64 arrays of Python integers (the bounds, the day numbers).
    bounds = table.local_seconds(np.array([period.start_utc, period.end_utc]))
    # One day of margin each side: a zone that turns its clock back over midnight puts an
    # instant after the period's start on the local day before it.
    first_day = int(bounds[0]) // SECONDS_PER_DAY - 1
    last_day = int(bounds[1]) // SECONDS_PER_DAY + 1
    days = day_table(first_day, last_day)
    holiday_days = [holiday.toordinal() - EPOCH_ORDINAL for holiday in holidays]
    epoch_days = np.arange(first_day, last_day + 1)
    off_day = (days.weekday >= _SATURDAY) | np.isin(epoch_days, holiday_days)
    day_base = (off_day.astype(np.int64) * MONTHS + days.month - 1) * HOURS
    return MonthDayTypeHourKeys(first_day=first_day, day_base=day_base)
