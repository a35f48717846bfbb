"""The battery behind a site's chargers as offers see it: usable capacity and wear cost.

Each charger's latest `BatterySetting` counts; a charger its owner has said nothing about
gets the service defaults below. A site with several chargers adds their capacities and
takes the highest wear cost among them, so the wear shown is never understated.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from django.db.models import QuerySet

from accounts import queries as account_queries
from accounts.models import Charger, User
from settlement.errors import NotFound
from settlement.events.models import BatterySetting

# The default battery: 60 kWh usable (a mid-size EV pack), and $0.05 per kWh discharged
# (a $150/kWh pack replaced after about 3,000 full cycles: 150 / 3000 = 0.05).
DEFAULT_USABLE_KWH: Final = Decimal("60.00")
DEFAULT_WEAR_COST_PER_KWH: Final = Decimal("0.05000")


@dataclass(frozen=True)
class Battery:
    """What an offer's wear is computed from, and where each figure came from."""

    usable_kwh: Decimal
    wear_cost_per_kwh: Decimal
    # "your setting", "the default", or "your settings and the default" for mixed sites.
    source: str


def current_setting(*, charger_id: int) -> BatterySetting | None:
    """Return the charger's latest battery setting, or None when its owner set none."""
    return BatterySetting.objects.filter(charger_id=charger_id).order_by("-set_at", "-pk").first()


def settings_of(*, charger_ids: list[int]) -> dict[int, BatterySetting]:
    """Return the latest setting of each charger that has one."""
    found: dict[int, BatterySetting] = {}
    for setting in BatterySetting.objects.filter(charger_id__in=charger_ids).order_by(
        "set_at", "pk"
    ):
        found[setting.charger_id] = setting
    return found


def chargers_of_site(*, site_id: int) -> QuerySet[Charger]:
    """Return the site's chargers in id order."""
    return Charger.objects.filter(site_id=site_id).order_by("pk")


@dataclass(frozen=True)
class Default:
    """The battery a charger without its owner's setting is taken to have."""

    usable_kwh: Decimal = DEFAULT_USABLE_KWH
    wear_cost_per_kwh: Decimal = DEFAULT_WEAR_COST_PER_KWH


def battery_of_site(*, site_id: int, default: Default | None = None) -> Battery | None:
    """Return the battery behind the site's chargers, or None for a site without one.

    `default` (the program's, from its EVENT_CONSTRAINTS rule) stands in for chargers whose
    owner set nothing; without it, the service defaults above.
    """
    default = default or Default()
    chargers = list(chargers_of_site(site_id=site_id).values_list("pk", flat=True))
    if not chargers:
        return None
    owned = settings_of(charger_ids=chargers)
    usable = [owned[pk].usable_kwh if pk in owned else default.usable_kwh for pk in chargers]
    wear = [
        owned[pk].wear_cost_per_kwh if pk in owned else default.wear_cost_per_kwh for pk in chargers
    ]
    if len(owned) == len(chargers):
        source = "your setting"
    elif not owned:
        source = "the default"
    else:
        source = "your settings and the default"
    return Battery(usable_kwh=sum(usable, Decimal(0)), wear_cost_per_kwh=max(wear), source=source)


class ChargerNotFound(NotFound):
    """No charger with this id is at a site of a participant the caller is a member of."""

    code = "charger_not_found"


def chargers_for_user(*, user: User) -> QuerySet[Charger]:
    """Return the chargers at the sites of the participants `user` is a member of."""
    return (
        Charger.objects.filter(site__participant__in=account_queries.participants_of(user=user))
        .select_related("site", "site__participant")
        .order_by("site__participant_id", "pk")
    )


def access_charger_for_user(*, user: User, charger_id: int) -> Charger:
    """Return charger `charger_id` if `user` is a member of its participant (any role);
    raise ChargerNotFound otherwise, whether or not it exists."""
    charger = chargers_for_user(user=user).filter(pk=charger_id).first()
    if charger is None:
        raise ChargerNotFound(f"no charger {charger_id}", details={"field": "charger_id"})
    return charger
