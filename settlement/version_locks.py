"""Locking a version that money was computed from (a tariff version, a program rule set).

A locked version records when a settlement first used it (`locked_at`) and the local date up
to which settlements priced with it (`locked_through`); its edits are then refused, and a
change is a new version. One UPDATE does it, so concurrent settlements cannot shrink a lock.
"""

from datetime import date, datetime
from typing import TypeVar

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

Locked = TypeVar("Locked", bound=models.Model)


def lock_through(model: type[Locked], *, pk: int, through: date, now: datetime) -> Locked:
    """Return row `pk` of `model` locked through `through` (first lock records `now`).

    Later locks only extend `locked_through`, never shorten it.
    """
    manager = model._default_manager
    manager.filter(pk=pk).update(
        locked_at=Coalesce(F("locked_at"), Value(now)),
        locked_through=Greatest(Coalesce(F("locked_through"), Value(through)), Value(through)),
    )
    return manager.get(pk=pk)
