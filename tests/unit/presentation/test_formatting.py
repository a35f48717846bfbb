"""The one formatter: amounts with their currency, prices with their places, dates, times."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from settlement import formatting


def test_an_amount_carries_its_currency_and_grouping():
    assert formatting.money(amount=Decimal("1344.00"), currency="USD") == "$1,344.00"
    assert formatting.money(amount=Decimal("-2.50"), currency="EUR") == "-€2.50"
    assert formatting.money(amount=Decimal("3.10"), currency="CAD") == "CA$3.10"


def test_a_currency_symbol_is_the_one_an_amount_is_written_with():
    assert formatting.currency_symbol("USD") == "$"
    assert formatting.currency_symbol("EUR") == "€"
    assert formatting.currency_symbol("CAD") == "CA$"


def test_integer_cents_read_as_the_same_amount():
    assert formatting.money_cents(cents=1992, currency="USD") == "$19.92"
    assert formatting.money_cents(cents=-375, currency="USD") == "-$3.75"


def test_a_price_shows_the_places_it_needs_and_no_more():
    assert formatting.price(amount=Decimal("0.30000"), currency="USD") == "$0.30/kWh"
    assert formatting.price(amount=Decimal("0.12345"), currency="USD") == "$0.12345/kWh"
    assert formatting.price(amount=Decimal("2"), currency="USD") == "$2.00/kWh"
    assert formatting.price(amount=Decimal("20"), currency="USD", unit="kW") == "$20.00/kW"


def test_energy_is_grouped_with_its_unit():
    assert formatting.energy(kwh=Decimal("1234.56")) == "1,234.6 kWh"
    assert formatting.energy(kwh=Decimal("17"), places=3) == "17.000 kWh"


def test_a_date_names_its_year_only_when_it_is_not_this_year():
    today = dt.date(2026, 12, 7)
    assert formatting.day(value=dt.date(2026, 7, 4), today=today) == "Jul 4"
    assert formatting.day(value=dt.date(2025, 7, 4), today=today) == "Jul 4, 2025"


def test_a_whole_month_period_reads_as_the_month_and_other_periods_as_a_range():
    assert formatting.period(start=dt.date(2025, 7, 1), end=dt.date(2025, 8, 1)) == "July 2025"
    assert formatting.period(start=dt.date(2025, 12, 1), end=dt.date(2026, 1, 1)) == "December 2025"
    assert (
        formatting.period(start=dt.date(2025, 7, 3), end=dt.date(2025, 7, 21))
        == "Jul 3 to Jul 20, 2025"
    )


def test_a_local_time_names_its_zone_across_daylight_saving():
    summer = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)
    winter = dt.datetime(2026, 1, 15, 1, 30, tzinfo=dt.UTC)
    today = dt.date(2026, 12, 7)
    zone = "America/Los_Angeles"
    assert formatting.local_time(moment=summer, zone=zone, today=today) == "Jun 30, 5:00 PM PDT"
    assert formatting.local_time(moment=winter, zone=zone, today=today) == "Jan 14, 5:30 PM PST"


def test_an_email_time_always_carries_its_year_and_zone():
    # 00:00 UTC on Jul 16, 2025 is 5:00 PM PDT (UTC-7) on Jul 15; 02:00 UTC is 7:00 PM.
    start = dt.datetime(2025, 7, 16, 0, 0, tzinfo=dt.UTC)
    end = dt.datetime(2025, 7, 16, 2, 0, tzinfo=dt.UTC).astimezone(ZoneInfo("America/Los_Angeles"))
    zone = "America/Los_Angeles"
    assert (
        formatting.local_time(moment=start, zone=zone, today=formatting.NO_DAY)
        == "Jul 15, 2025, 5:00 PM PDT"
    )
    assert formatting.clock(moment=end) == "7:00 PM PDT"
