"""The one way money, prices, energy, dates and times are written for people.

Every page, email, PDF and CSV meant for a person goes through these functions, so an
amount never appears as "1344.00" on one page and "$19.92" on another. The currency comes
from the caller (a program's or a statement's), never from a template. Like `errors.py`,
this module sits outside the layers: it imports babel only, so every layer may use it.
"""

import datetime as dt
import functools
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

# Parsed once: babel given a locale's name parses it again on every call, and a dashboard
# formats a few hundred amounts, energies and days (docs/performance.md, the owner portal).
LOCALE = Locale.parse("en_US")
# At least the currency's usual 2 places, up to the 5 a tariff price is stored with, and no
# more trailing zeros than those 2: "$0.30/kWh", "$0.12345/kWh". Number patterns are parsed
# once too: babel caches its date patterns, not its number patterns.
PRICE_PATTERN = babel_numbers.parse_pattern("¤#,##0.00###")
CENTS_PER_UNIT = 100
# A `today` no date falls in: `day` and `local_time` given it always write the year (emails).
NO_DAY = dt.date.min


def money(*, amount: Decimal, currency: str) -> str:
    """Return an amount with its currency, e.g. "$1,344.00", "-€2.50", "CA$3.10".

    Amounts reach here already rounded once, where the money is (statement lines, ledger
    cents), so showing them at the currency's places never rounds again.
    """
    return babel_numbers.format_currency(amount, currency, locale=LOCALE)


def currency_symbol(currency: str) -> str:
    """Return the symbol a currency is written with: "$" (USD), "€" (EUR), "CA$" (CAD).

    For text that places its own number after the symbol (statement line labels keep the
    number formatting they were stored with), so the symbol is the one `money` writes.
    """
    return babel_numbers.get_currency_symbol(currency, locale=LOCALE)


def money_cents(*, cents: int, currency: str) -> str:
    """Return an amount kept in integer cents (ledger, payouts) as `money` writes it."""
    return money(amount=Decimal(cents) / CENTS_PER_UNIT, currency=currency)


def price(*, amount: Decimal, currency: str, unit: str = "kWh") -> str:
    """Return a unit price with the places it needs, e.g. "$0.30/kWh", "$0.12345/kWh"."""
    text = babel_numbers.format_currency(
        amount, currency, format=PRICE_PATTERN, locale=LOCALE, currency_digits=False
    )
    return f"{text}/{unit}"


def energy(*, kwh: Decimal, places: int = 1) -> str:
    """Return energy in kWh with grouping, e.g. "1,234.5 kWh"."""
    return f"{babel_numbers.format_decimal(kwh, format=_energy_pattern(places), locale=LOCALE)} kWh"


@functools.cache
def _energy_pattern(places: int) -> babel_numbers.NumberPattern:
    return babel_numbers.parse_pattern("#,##0." + "0" * places if places else "#,##0")


def day(*, value: dt.date, today: dt.date) -> str:
    """Return a date, with the year only when it is not `today`'s: "Dec 7", "Dec 7, 2025"."""
    pattern = "MMM d" if value.year == today.year else "MMM d, y"
    return babel_dates.format_date(value, pattern, locale=LOCALE)


def month(*, value: dt.date) -> str:
    """Return the month a date falls in, always with its year: "July 2025"."""
    return babel_dates.format_date(value, "MMMM y", locale=LOCALE)


def period(*, start: dt.date, end: dt.date) -> str:
    """Return a half-open period of local dates: a whole month as "July 2025", else a range.

    The end is exclusive, so the last day shown is the day before it.
    """
    last = end - dt.timedelta(days=1)
    if (
        start.day == 1
        and end.day == 1
        and (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1
    ):
        return month(value=start)
    return f"{day(value=start, today=last)} to {day(value=last, today=dt.date(1, 1, 1))}"


def local_time(*, moment: dt.datetime, zone: str, today: dt.date) -> str:
    """Return an instant as local wall-clock time with the zone named: "Dec 7, 5:00 PM PST".

    `today` is the local date of the reader's now: the year is shown when it differs.
    """
    local = moment.astimezone(ZoneInfo(zone))
    when = day(value=local.date(), today=today)
    clock = babel_dates.format_time(local, "h:mm a", locale=LOCALE)
    return f"{when}, {clock} {local.tzname()}"


def clock(*, moment: dt.datetime) -> str:
    """Return the wall-clock time of an aware instant with its zone: "7:00 PM PDT"."""
    return f"{babel_dates.format_time(moment, 'h:mm a', locale=LOCALE)} {moment.tzname()}"
