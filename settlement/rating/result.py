"""The rating result: ordered priced lines, their exact total and interval attribution."""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import numpy as np

from settlement.rating.intervals import Int64Array

Component = Literal["export", "generation", "delivery", "fixed", "bound"]
Unit = Literal["kWh", "day", "month", "total"]
NO_BUCKET = -1


@dataclass(frozen=True)
class Line:
    """One priced line: `amount` = `quantity` x `price`, rounded half-up to cents once.

    Energy lines have `unit` "kWh" and `kwh` = `quantity` (Wh / 1000 exactly); fixed lines
    count local days or months and have `kwh` 0. `bucket` links the line to the attribution
    rows that explain it (`NO_BUCKET` for lines no interval backs). `first_local_start` and
    `last_local_start` are the local starts of the earliest and latest energy priced here.
    """

    label: str
    component: Component
    unit: Unit
    quantity: Decimal
    kwh: Decimal
    price: Decimal
    amount: Decimal
    bucket: int = NO_BUCKET
    first_local_start: datetime | None = None
    last_local_start: datetime | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        """Return the line as JSON-ready values: Decimals and datetimes as strings."""
        return {
            "label": self.label,
            "component": self.component,
            "unit": self.unit,
            "quantity": str(self.quantity),
            "kwh": str(self.kwh),
            "price": str(self.price),
            "amount": str(self.amount),
            "bucket": self.bucket,
            "first_local_start": _iso(self.first_local_start),
            "last_local_start": _iso(self.last_local_start),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True, eq=False)
class Attribution:
    """Rows (interval index, bucket, Wh, UTC start of the energy): which line holds what.

    Every input interval has at least one row and its rows' Wh add up to its Wh exactly.
    """

    interval: Int64Array
    bucket: Int64Array
    wh: Int64Array
    start_utc: Int64Array


@dataclass(frozen=True, eq=False)
class RatingResult:
    """Lines in a fixed order, their total (the exact sum of line amounts) and attribution."""

    time_zone: str
    lines: tuple[Line, ...]
    total: Decimal
    attribution: Attribution

    def intervals_of_line(self, line_number: int) -> tuple[Int64Array, Int64Array]:
        """Return (interval indices, Wh) behind line `line_number` (empty for fixed lines)."""
        bucket = self.lines[line_number].bucket
        if bucket == NO_BUCKET:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        rows = self.attribution.bucket == bucket
        return self.attribution.interval[rows], self.attribution.wh[rows]

    def lines_of_interval(self, interval: int) -> tuple[tuple[int, int], ...]:
        """Return (line number, Wh) pairs for input interval `interval`, in line order.

        A vector tariff prices the same Wh in a generation line and a delivery line, so both
        are listed with the full Wh.
        """
        rows = np.flatnonzero(self.attribution.interval == interval)
        wh_by_bucket: dict[int, int] = {}
        for row in rows:
            bucket = int(self.attribution.bucket[row])
            wh_by_bucket[bucket] = wh_by_bucket.get(bucket, 0) + int(self.attribution.wh[row])
        return tuple(
            (number, wh_by_bucket[line.bucket])
            for number, line in enumerate(self.lines)
            if line.bucket in wh_by_bucket
        )

    def as_dict(self, *, with_attribution: bool = False) -> dict[str, object]:
        """Return the result as JSON-ready values in a stable order (Decimals as strings)."""
        result: dict[str, object] = {
            "time_zone": self.time_zone,
            "lines": [line.as_dict() for line in self.lines],
            "total": str(self.total),
        }
        if with_attribution:
            result["attribution"] = {
                "interval": self.attribution.interval.tolist(),
                "bucket": self.attribution.bucket.tolist(),
                "wh": self.attribution.wh.tolist(),
                "start_utc": self.attribution.start_utc.tolist(),
            }
        return result

    def to_json(self, *, with_attribution: bool = False) -> str:
        """Return `as_dict()` as compact JSON: identical inputs give identical bytes."""
        return json.dumps(
            self.as_dict(with_attribution=with_attribution),
            sort_keys=True,
            separators=(",", ":"),
        )
