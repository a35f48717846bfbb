"""Metered intervals as parallel int64 arrays: UTC start, duration and energy in Wh."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from settlement.rating.errors import RatingInputError

Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class IntervalArrays:
    """Half-open intervals `[start_utc, start_utc + duration_s)` with the energy measured in each.

    `start_utc` is epoch seconds UTC, `duration_s` is seconds (> 0) and `wh` is integer
    watt-hours (>= 0: exports are positive and a net channel is not rated here). All three are
    one-dimensional int64 arrays of the same length. Raises `RatingInputError` otherwise.
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
        if size and int(self.duration_s.min()) <= 0:
            first = int(np.argmax(self.duration_s <= 0))
            raise RatingInputError(f"duration_s[{first}]: must be positive")
        if size and int(self.wh.min()) < 0:
            first = int(np.argmax(self.wh < 0))
            raise RatingInputError(f"wh[{first}]: must not be negative")

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
