"""What a create-or-update call did: the one vocabulary every app's summaries use."""

from enum import StrEnum


class Outcome(StrEnum):
    """What a create-or-update call did (a derived record computed again: RECOMPUTED)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    RECOMPUTED = "recomputed"
