"""Return one normalized reading quality from each source's own quality vocabulary."""

from enum import StrEnum


class Quality(StrEnum):
    """How much a reading can be trusted, in the service's one vocabulary (DOMAIN.md 6)."""

    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"
    EDITED = "EDITED"
    DERIVED = "DERIVED"
    FORECAST = "FORECAST"
    SUSPECT = "SUSPECT"
    MISSING = "MISSING"


# The qualities paid as measured; ESTIMATED is paid only where a program's rule says so.
PAID: tuple[Quality, ...] = (Quality.ACTUAL, Quality.EDITED, Quality.DERIVED)


# Most doubtful first: when a source attaches several qualities to one reading, the most
# doubtful one wins, so a reading is never paid as better than its weakest flag says.
PRECEDENCE: tuple[Quality, ...] = (
    Quality.MISSING,
    Quality.FORECAST,
    Quality.SUSPECT,
    Quality.ESTIMATED,
    Quality.EDITED,
    Quality.DERIVED,
    Quality.ACTUAL,
)

_ESPI: dict[int, Quality] = {
    0: Quality.ACTUAL,
    7: Quality.EDITED,
    8: Quality.ESTIMATED,
    9: Quality.ESTIMATED,
    10: Quality.SUSPECT,
    11: Quality.DERIVED,
    12: Quality.FORECAST,
    # 14 "unvalidated" is a measured value the utility has not run VEE on yet. It is ACTUAL
    # here because this service runs its own VEE on every reading, and the utility's later
    # validated revision (17 or 19) replaces it through the normal revision path.
    14: Quality.ACTUAL,
    17: Quality.ACTUAL,
    19: Quality.ACTUAL,
}

_UTILITY_TEXT: dict[str, Quality] = {
    "": Quality.ACTUAL,
    "actual": Quality.ACTUAL,
    "valid": Quality.ACTUAL,
    "validated": Quality.ACTUAL,
    "measured": Quality.ACTUAL,
    "estimated": Quality.ESTIMATED,
    "estimate": Quality.ESTIMATED,
    "est": Quality.ESTIMATED,
    "edited": Quality.EDITED,
    "corrected": Quality.EDITED,
    "derived": Quality.DERIVED,
    "calculated": Quality.DERIVED,
    "projected": Quality.FORECAST,
    "forecast": Quality.FORECAST,
    "questionable": Quality.SUSPECT,
    "suspect": Quality.SUSPECT,
    "missing": Quality.MISSING,
}

CANONICAL: dict[str, Quality] = {"": Quality.ACTUAL} | {q.value: q for q in Quality}


def worst(qualities: list[Quality]) -> Quality:
    """Return the most doubtful of several qualities (ACTUAL for none)."""
    for candidate in PRECEDENCE:
        if candidate in qualities:
            return candidate
    return Quality.ACTUAL


def from_espi(code: int) -> Quality | None:
    """Return the quality for an ESPI ReadingQuality code, or None for an unknown code."""
    return _ESPI.get(code)


def from_utility_text(text: str) -> Quality | None:
    """Return the quality for a utility CSV quality word (case-insensitive), or None."""
    return _UTILITY_TEXT.get(text.strip().lower())


def from_canonical(name: str) -> Quality | None:
    """Return the quality for a canonical CSV quality name (empty is ACTUAL), or None."""
    return CANONICAL.get(name)
