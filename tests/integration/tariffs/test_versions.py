"""Versions are never edited once a statement used them; holidays are layered per period."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settlement.rating.tariff import HourlyVectorTariff, TouTariff
from settlement.tariffs import operations, queries
from settlement.tariffs.models import TariffVersion
from tests.tariff_imports import (
    LOS_ANGELES,
    SCE_FILE,
    URDB_FILE,
    import_tariff,
    urdb_rate,
    write_json,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 8, 5, 12, tzinfo=UTC)


@pytest.fixture
def version() -> TariffVersion:
    import_tariff(URDB_FILE, "--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    return TariffVersion.objects.get(plan__code="etou", version=1)


def test_a_later_lock_extends_the_locked_range_but_keeps_the_first_lock_time(version):
    operations.lock_version(version=version, through=date(2025, 8, 1), now=NOW)

    operations.lock_version(version=version, through=date(2025, 7, 1), now=datetime.now(tz=UTC))
    operations.lock_version(version=version, through=date(2025, 9, 1), now=datetime.now(tz=UTC))

    version.refresh_from_db()
    assert (version.locked_at, version.locked_through) == (NOW, date(2025, 9, 1))


def test_a_new_version_may_not_end_a_locked_one_inside_its_priced_dates(tmp_path):
    open_rate = {key: value for key, value in urdb_rate().items() if key != "enddate"}
    args = ("--format", "urdb", "--code", "etou", "--timezone", LOS_ANGELES)
    import_tariff(write_json(tmp_path, "v1.json", open_rate), *args)
    first = TariffVersion.objects.get()
    operations.lock_version(version=first, through=date(2025, 8, 1), now=NOW)
    # 2025-07-01 00:00 PDT, before the locked-through date 2025-08-01.
    later_rate = {**open_rate, "startdate": 1735718400 + 181 * 86400 - 3600}

    code, summary = import_tariff(write_json(tmp_path, "v2.json", later_rate), *args)

    assert code == 2
    assert summary["error"]["code"] == "tariff_version_locked"
    first.refresh_from_db()
    assert first.effective_to is None
    assert TariffVersion.objects.count() == 1


def test_the_plan_calendar_is_layered_on_for_the_years_priced():
    import_tariff(
        SCE_FILE, "--format", "sce-export-credits", "--code", "sce", "--timezone", LOS_ANGELES
    )
    version = TariffVersion.objects.get(effective_from=date(2024, 1, 1))

    tariff = queries.rating_tariff(version=version, start=date(2024, 12, 1), end=date(2025, 1, 1))

    assert isinstance(tariff, HourlyVectorTariff)
    # SCE: the eight holidays of 2024; none falls on a Sunday in 2024, so none moves.
    assert sorted(tariff.holidays) == [
        date(2024, 1, 1),
        date(2024, 2, 19),
        date(2024, 5, 27),
        date(2024, 7, 4),
        date(2024, 9, 2),
        date(2024, 11, 11),
        date(2024, 11, 28),
        date(2024, 12, 25),
    ]


def test_a_urdb_plan_without_calendar_has_no_holidays(version):
    tariff = queries.rating_tariff(version=version, start=date(2025, 7, 1), end=date(2025, 8, 1))

    assert isinstance(tariff, TouTariff)
    assert tariff.holidays == frozenset()
    assert tariff.periods[1].export_price == Decimal("0.09217")
