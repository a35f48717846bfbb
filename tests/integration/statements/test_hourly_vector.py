"""An absolute-hour export vector (PG&E's shape: one price per UTC hour) on a statement.

The tariff prices every UTC hour of July 2025 (Los Angeles) at generation $0.05 and delivery
$0.01, except 19:00 local on weekdays: $0.61 and $0.002. Olivia exports 0.100 kWh every hour
and 0.135 kWh at 19:00. July 2025 has 23 weekdays and 8 weekend days (the tariff names no
holidays), so the month is 2 day types x 24 hours = 48 keys, two lines each (generation,
delivery), each rounded once over the whole key:
  weekday 19:00   23 x 0.135 = 3.105 kWh: x 0.61 = 1.89405 -> 1.89; x 0.002 = 0.00621 -> 0.01
  weekend 19:00    8 x 0.135 = 1.080 kWh: x 0.05 = 0.054   -> 0.05; x 0.01  = 0.0108  -> 0.01
  weekday other   23 x 0.100 = 2.300 kWh: x 0.05 = 0.115   -> 0.12; x 0.01  = 0.023   -> 0.02
                  (hour by hour it would be 23 x round(0.005) = $0.23)
  weekend other    8 x 0.100 = 0.800 kWh: x 0.05 = 0.04;            x 0.01  = 0.008   -> 0.01
  total 1.90 + 0.06 + 23 x 0.14 + 23 x 0.05 = 1.90 + 0.06 + 3.22 + 1.15 = $6.33
"""

import datetime as dt
from decimal import Decimal

import pytest

from accounts import roles
from settlement.rating.tariff import HourlyVectorTariff, VectorPrice
from settlement.statements.models import Statement
from settlement.statements.review import decisions
from settlement.tariffs.models import TariffVersion
from tests.factories import UserFactory
from tests.settlement_fixtures import LA, ZONE, enroll, hourly_rows, ingest_rows, make_program
from tests.settlement_fixtures import run_command as run

pytestmark = pytest.mark.django_db
JULY = dt.date(2025, 7, 1)
NOW = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
EVENING = 19
# Tuesday 2025-07-15 19:00 PDT.
REVISED_HOUR = dt.datetime(2025, 7, 16, 2, tzinfo=dt.UTC)


def _is_weekday_evening(local: dt.datetime) -> bool:
    return local.hour == EVENING and local.weekday() < 5


def _absolute_hour_tariff() -> HourlyVectorTariff:
    first = dt.datetime(2025, 7, 1, tzinfo=ZONE).astimezone(dt.UTC)
    prices = {}
    for hour in range(31 * 24):
        moment = first + dt.timedelta(hours=hour)
        prices[int(moment.timestamp())] = (
            VectorPrice(Decimal("0.61000"), Decimal("0.00200"))
            if _is_weekday_evening(moment.astimezone(ZONE))
            else VectorPrice(Decimal("0.05000"), Decimal("0.01000"))
        )
    return HourlyVectorTariff(time_zone=LA, by_utc_hour=prices)


def _wh(local: dt.datetime) -> int:
    return 135 if local.hour == EVENING else 100


@pytest.fixture
def settled(tmp_path):
    program = make_program(tariff=_absolute_hour_tariff())
    _, channel = enroll(program, "olivia@example.com", "RM-1")
    ingest_rows(tmp_path, hourly_rows("RM-1", JULY, 31, _wh))
    code, summary = run("settle", "--program", "nbt-export", "--period", "2025-07")
    assert code == 0, summary
    return {"program": program, "channel": channel, "summary": summary}


def test_a_month_of_utc_hour_prices_is_one_line_per_day_type_hour_and_component(settled):
    statement = Statement.objects.get()
    lines = list(statement.lines.order_by("number"))

    assert settled["summary"]["total"] == "6.33"
    assert statement.total == Decimal("6.33")
    assert len(lines) == 2 * 24 * 2
    assert {line.kind for line in lines} == {"EXPORT_ENERGY"}
    by_label = {line.label: line for line in lines}
    evening = by_label[
        "Exported 3.105 kWh on July weekdays 19:00\u201320:00 at $0.61/kWh (generation)"
    ]
    assert (evening.kwh, evening.price, evening.amount) == (
        Decimal("3.105"),
        Decimal("0.61000"),
        Decimal("1.89"),
    )
    assert evening.tariff_version_id == TariffVersion.objects.get().pk
    # Its readings by natural key: the 23 weekday 19:00 PDT hours (02:00 UTC the next day).
    channel_id = settled["channel"].pk
    weekdays = [day for day in range(1, 32) if dt.date(2025, 7, day).weekday() < 5]
    assert evening.lineage == [
        [channel_id, int(dt.datetime(2025, 7, day, 19, tzinfo=ZONE).timestamp()), 3600, 1, 1]
        for day in weekdays
    ]
    delivery = by_label[
        "Exported 3.105 kWh on July weekdays 19:00\u201320:00 at $0.002/kWh (delivery)"
    ]
    assert delivery.amount == Decimal("0.01")
    weekend_evening = by_label[
        "Exported 1.08 kWh on July weekends and holidays 19:00\u201320:00 at $0.05/kWh (generation)"
    ]
    assert weekend_evening.amount == Decimal("0.05")
    morning = by_label[
        "Exported 2.3 kWh on July weekdays 03:00\u201304:00 at $0.05/kWh (generation)"
    ]
    assert morning.amount == Decimal("0.12")
    # The owner's description is the label itself (already a sentence).
    response_line = statement.lines.get(pk=evening.pk)
    assert response_line.detail["subject"] == "July weekdays 19:00\u201320:00 generation"


def test_a_revised_hour_is_booked_against_its_own_bucket(settled, staff_roles, tmp_path):
    approver = UserFactory(email="avery@utility.example.com", is_staff=True)
    approver.groups.add(staff_roles[roles.APPROVER])
    decisions.approve(statement=Statement.objects.get(), actor=approver, reason="ok", now=NOW)
    # Tuesday July 15 19:00 PDT goes from 0.135 to 0.235 kWh: weekday 19:00 generation is
    # 3.205 kWh x 0.61 = 1.95505 -> 1.96 (+0.07); delivery 3.205 x 0.002 = 0.00641 -> 0.01,
    # the same amount, but its kWh changed, so it is stated with $0.00.
    end = REVISED_HOUR + dt.timedelta(hours=1)
    revised = ingest_rows(
        tmp_path, [f"RM-1,{REVISED_HOUR.isoformat()},{end.isoformat()},235,,"], name="fix.csv"
    )
    assert revised["revised"] == 1

    code, summary = run(
        "settle", "--program", "nbt-export", "--period", "2025-07", "--type", "recalculation"
    )

    assert code == 0, summary
    adjustment = Statement.objects.get(run_id=summary["run_id"])
    line, delivery = adjustment.lines.order_by("number")
    original = Statement.objects.exclude(pk=adjustment.pk).get()
    evening = original.lines.get(
        label__startswith="Exported 3.105 kWh on July weekdays 19:00",
        label__endswith="(generation)",
    )
    assert (line.kind, line.adjusts_kind, line.match_key) == (
        "ADJUSTMENT",
        "EXPORT_ENERGY",
        evening.match_key,
    )
    assert (line.kwh, line.amount) == (Decimal("0.100"), Decimal("0.07"))
    assert line.label == (
        "Adjustment to July weekdays 19:00\u201320:00 generation: +0.100 kWh "
        "(was 3.105 kWh $1.89, now 3.205 kWh $1.96)"
    )
    assert (delivery.kwh, delivery.amount) == (Decimal("0.100"), Decimal("0.00"))
    assert (
        delivery.match_key
        == original.lines.get(
            label__startswith="Exported 3.105 kWh on July weekdays 19:00",
            label__endswith="(delivery)",
        ).match_key
    )
    assert adjustment.total == Decimal("0.07")
