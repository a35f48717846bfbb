"""VEE rules one reading at a time, without a database: alignment on the site's clock."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from settlement.metering import vee


def test_alignment_is_placeholder():
    assert vee.is_aligned(
        datetime(2024, 5, 22, 17, 30, tzinfo=UTC), 3600, ZoneInfo("America/St_Johns")
    )
