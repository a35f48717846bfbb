"""Metered intervals as parallel int64 arrays: UTC start, duration and energy in Wh."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from settlement.rating.errors import RatingInputError

Int64Array = npt.NDArray[np.int64]

# Bounds that keep every product and sum the core forms inside int64, checked at the door so
# no arithmetic can wrap: the largest is Wh x seconds when a reading is shared out by time
# (10^12 x 2 x 2,678,400 < 2^63), and a sum of Wh is at most the count times the largest Wh.
MAX_WH = 10**12
MAX_DURATION_S = 31 * 86_400
# Epoch seconds of 0001-01-01 and 9999-12-31 UTC: the range Python's datetime can name.
MIN_START_UTC = -62_135_596_800
MAX_START_UTC = 253_402_214_400
_INT64_MAX = int(np.iinfo(np.int64).max)


@dataclass(frozen=True, eq=False)
class IntervalArrays:
    """Half-open intervals `[start_utc, start_utc + duration_s)` with the energy measured in each.

    `start_utc` is epoch seconds UTC within years 1-9999, `duration_s` is seconds
    (1 to `MAX_DURATION_S`) and `wh` is integer watt-hours (0 to `MAX_WH`: exports are positive
    and a net channel is not rated here). All three are one-dimensional int64 arrays of the
    same length. Raises `RatingInputError` naming the first element that breaks a rule, so a
    result is exact or refused, never wrapped around.
    """

    start_utc: Int64Array
    duration_s: Int64Array
    wh: Int64Array

    def __post_init__(self) -> None:
        for name in ("start_utc", "duration_s", "wh"):
            array = getattr(self, name)
            if not isinstance(array, np.ndarray) or array.dtype != np.int64 or array.ndim != 1:
                raise RatingInputError(f"{name}: must be a one-dimensional int64 array")
        size = self.start_utc.shape[0]
        if self.duration_s.shape[0] != size or self.wh.shape[0] != size:
            raise RatingInputError(
                "start_utc, duration_s and wh must have the same length "
                f"({size}, {self.duration_s.shape[0]}, {self.wh.shape[0]})"
            )
        if not size:
            return
        _check_range(self.start_utc, "start_utc", MIN_START_UTC, MAX_START_UTC)
        _check_range(self.duration_s, "duration_s", 1, MAX_DURATION_S)
        _check_range(self.wh, "wh", 0, MAX_WH)
        # The exact total without a Python integer per reading: the high and low 32 bits
        # are summed apart (each sum fits int64 for up to 2^31 readings) and joined in Python.
        total = (int((self.wh >> 32).sum()) << 32) + int((self.wh & 0xFFFF_FFFF).sum())
        if total > _INT64_MAX:
            raise RatingInputError(
                f"wh: the intervals hold {total} Wh in all, more than the core sums exactly"
            )

    def __len__(self) -> int:
        return int(self.start_utc.shape[0])

    @classmethod
    def from_sequences(
        cls, *, start_utc: Sequence[int], duration_s: Sequence[int], wh: Sequence[int]
    ) -> "IntervalArrays":
        """Return intervals built from plain integer sequences (handy for tests and callers)."""
        return cls(
            start_utc=np.asarray(start_utc, dtype=np.int64).reshape(-1),
            duration_s=np.asarray(duration_s, dtype=np.int64).reshape(-1),
            wh=np.asarray(wh, dtype=np.int64).reshape(-1),
        )

    @property
    def end_utc(self) -> Int64Array:
        """Return the exclusive end of each interval, epoch seconds UTC."""
        return self.start_utc + self.duration_s


def _check_range(values: Int64Array, name: str, low: int, high: int) -> None:
    outside = (values < low) | (values > high)
    if bool(outside.any()):
        first = int(outside.argmax())
        raise RatingInputError(f"{name}[{first}]: {int(values[first])} is outside [{low}, {high}]")
