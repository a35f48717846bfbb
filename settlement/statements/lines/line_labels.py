"""Statement line labels in plain words: what an owner reads on a statement.

The rating core labels a price-vector key "Jul weekday 19:00-20:00 generation" (a version
prefix "v2 " when versions split the period); a statement says "Exported 3.1 kWh on July
weekdays 19:00-20:00 at $0.61/kWh (generation)", an en dash between the hours. TOU lines
keep the period's name ("Peak"). Money in a label is written with the program's currency
symbol ("€0.61/kWh" in a EUR program) and the number formatting labels were first stored
with, so a USD label reads as it always did and a stored run still reproduces.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from settlement import formatting

_MONTHS = {
    "Jan": "January",
    "Feb": "February",
    "Mar": "March",
    "Apr": "April",
    "May": "May",
    "Jun": "June",
    "Jul": "July",
    "Aug": "August",
    "Sep": "September",
    "Oct": "October",
    "Nov": "November",
    "Dec": "December",
}
# Hour ranges read "19:00\u201320:00" (an en dash) on statements.
_EN_DASH = "\u2013"
_DAY_TYPES = {"weekday": "weekdays", "weekend/holiday": "weekends and holidays"}
_VECTOR_KEY = re.compile(
    r"^(?P<version>v\d+ )?(?P<month>[A-Z][a-z]{2}) (?P<day_type>weekday|weekend/holiday) "
    r"(?P<start>\d\d:00)-(?P<end>\d\d:00) (?P<component>generation|delivery)$"
)


def plain_number(value: Decimal, places: int) -> str:
    """Return `value` without trailing zeros beyond `places` decimals (0.30000 -> 0.30, and
    2.000 -> 2 with no places)."""
    whole, _, fraction = f"{value:f}".partition(".")
    fraction = fraction.rstrip("0").ljust(places, "0")
    return f"{whole}.{fraction}" if fraction else whole


@dataclass(frozen=True)
class VectorSubject:
    """What a vector line prices: "July weekdays 19:00-20:00", its component, its version."""

    when: str
    component: str
    version: str = ""

    def __str__(self) -> str:
        version = f" ({self.version})" if self.version else ""
        return f"{self.when} {self.component}{version}"


def vector_subject(core_label: str) -> VectorSubject | None:
    """Return the subject of a core vector-key label ("Jul weekday 19:00-20:00 generation")."""
    match = _VECTOR_KEY.match(core_label)
    if match is None:
        return None
    return VectorSubject(
        when=(
            f"{_MONTHS[match['month']]} {_DAY_TYPES[match['day_type']]} "
            f"{match['start']}{_EN_DASH}{match['end']}"
        ),
        component=match["component"],
        version=(match["version"] or "").strip(),
    )


def unit_price(price: Decimal, *, currency: str, unit: str = "kWh") -> str:
    """Return a price as a label writes it: "$0.61/kWh", "€0.61/kWh", "CA$20.00/kW"."""
    return f"{formatting.currency_symbol(currency)}{plain_number(price, 2)}/{unit}"


def exported_sentence(
    subject: VectorSubject, kwh: Decimal, price: Decimal, *, currency: str
) -> str:
    """Return "Exported 3.1 kWh on July weekdays 19:00-20:00 at $0.61/kWh (generation)"."""
    version = f", {subject.version}" if subject.version else ""
    return (
        f"Exported {plain_number(kwh, 1)} kWh on {subject.when} at "
        f"{unit_price(price, currency=currency)} ({subject.component}{version})"
    )
