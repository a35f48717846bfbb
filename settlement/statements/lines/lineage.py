"""Lineage: the readings behind a line by natural key, compactly, and hashes of a run.

A line's readings are written as runs `[channel id, first start (epoch s UTC), duration s,
count, revision]`: `count` consecutive readings of one duration and one revision, each
starting where the previous one ended. A month of 15-minute readings is one run; a
revised reading splits it. The natural key survives any change to how readings are stored.
"""

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from settlement.rating.intervals import Int64Array

Run = list[int]


def reading_runs(
    *,
    channel_id: int,
    start_utc: Int64Array,
    duration_s: Int64Array,
    revision: Int64Array,
    indices: npt.NDArray[np.int64],
) -> list[Run]:
    """Return the runs naming the readings at sorted `indices` of a channel's arrays."""
    if indices.size == 0:
        return []
    starts = start_utc[indices]
    durations = duration_s[indices]
    revisions = revision[indices]
    breaks = np.ones(indices.size, dtype=bool)
    breaks[1:] = (
        (starts[1:] != starts[:-1] + durations[:-1])
        | (durations[1:] != durations[:-1])
        | (revisions[1:] != revisions[:-1])
    )
    heads = np.flatnonzero(breaks)
    counts = np.diff(np.append(heads, indices.size))
    return [
        [channel_id, int(starts[head]), int(durations[head]), int(count), int(revisions[head])]
        for head, count in zip(heads.tolist(), counts.tolist(), strict=True)
    ]


def expand(runs: list[Run]) -> Iterator[tuple[int, int, int, int]]:
    """Yield (channel id, start epoch s, duration s, revision) for every reading of `runs`."""
    for channel_id, start, duration, count, revision in runs:
        for offset in range(count):
            yield channel_id, start + offset * duration, duration, revision


def canonical_json(document: Any) -> str:
    """Return `document` as compact JSON with sorted keys: the same data, the same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def sha256_of(document: Any) -> str:
    """Return the sha256 hex digest of `document`'s canonical JSON."""
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()
