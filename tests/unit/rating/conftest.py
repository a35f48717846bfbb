"""Every rating unit test starts with no offset table cached."""

import pytest

from settlement.rating import local_time


@pytest.fixture(autouse=True)
def no_cached_offset_tables() -> None:
    # A table cached by an earlier test would let this one pass without running the code
    # that builds it; under `make mutation` the cache would even hold the tables of the
    # unmutated run the mutant's process was forked from.
    local_time.clear_offset_tables()
